from datetime import timedelta

from odoo import _, api, fields, models

from ..tools.kpi import closed_day_weight, is_repeat

# A later work order on the same device and symptom within this many days of a resolution
# makes that resolution no first-time fix (README, "Service KPIs").
REPEAT_DAYS = 30

FAULT_TYPES = [
    ("print", "Print quality"),
    ("scan", "Does not scan"),
    ("power", "Power or battery"),
    ("connect", "Connectivity"),
    ("mechanical", "Mechanical or jam"),
    ("software", "Software or firmware"),
    ("other", "Other"),
]

MILESTONE_FIELDS = {
    "response": ("kpi_response_at", "kpi_response_hours"),
    "arrival": ("kpi_arrival_at", "kpi_arrival_hours"),
    "resolution": ("kpi_resolution_at", "kpi_resolution_hours"),
}


class MaintenanceRequest(models.Model):
    """The work order's service figures, stored so that the KPI analysis
    (``service.kpi.report``) reads plain columns of one table, a million rows included.
    Each is 100/0 or hours; the analysis leaves out those that do not apply (a time stamp
    or a state tells which), because a stored float cannot be empty."""

    _inherit = "maintenance.request"

    fault_type = fields.Selection(
        FAULT_TYPES,
        string="Symptom",
        tracking=True,
        help="What the customer sees. A work order on the same device and symptom within "
        "30 days of a resolution counts that resolution as no first-time fix.",
    )
    resolved_at = fields.Datetime(
        string="Resolved On",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="When the work order last entered a closing stage; empty while it is open.",
    )
    reopen_count = fields.Integer(
        string="Reopened",
        readonly=True,
        copy=False,
        help="Times the work order left a closing stage for an open one.",
    )
    repeat_of_id = fields.Many2one(
        "maintenance.request",
        string="Repeat Of",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The work order on the same device and symptom resolved in the 30 days before "
        "this one was reported.",
    )
    repeat_ids = fields.One2many("maintenance.request", "repeat_of_id", string="Repeats")
    kpi_response_at = fields.Datetime(compute="_compute_kpi_sla", store=True, string="Responded")
    kpi_response_hours = fields.Float(
        compute="_compute_kpi_sla", store=True, string="Response Time (h)"
    )
    kpi_arrival_at = fields.Datetime(compute="_compute_kpi_sla", store=True, string="Arrived")
    kpi_arrival_hours = fields.Float(
        compute="_compute_kpi_sla", store=True, string="Arrival Time (h)"
    )
    kpi_resolution_at = fields.Datetime(compute="_compute_kpi_sla", store=True, string="Restored")
    kpi_resolution_hours = fields.Float(
        compute="_compute_kpi_sla", store=True, string="Resolution Time (h)"
    )
    kpi_within_sla = fields.Float(compute="_compute_kpi_sla", store=True, string="Within SLA (%)")
    kpi_first_time_fix = fields.Float(
        compute="_compute_kpi_first_time_fix", store=True, string="First-Time Fix (%)"
    )
    kpi_closed_weight = fields.Float(
        string="Closed-per-Day Weight",
        compute="_compute_kpi_closed_weight",
        store=True,
        help="One over the technician's working days in the month of the resolution: their "
        "sum per technician and month is the work orders closed per working day.",
    )

    @api.depends("sla_line_ids.state", "sla_line_ids.elapsed_hours", "sla_line_ids.met_at")
    def _compute_kpi_sla(self):
        for request in self:
            # sudo: the figures are the work order's, whoever's write recomputes them.
            lines = request.sudo().sla_line_ids.sorted("id")
            for milestone, (at_field, hours_field) in MILESTONE_FIELDS.items():
                met = lines.filtered(
                    lambda line, m=milestone: line.milestone == m
                    and line.state in ("met", "met_late")
                )[-1:]
                request[at_field] = met.met_at
                request[hours_field] = met.elapsed_hours
            missed = any(line.state in ("breached", "met_late") for line in lines)
            request.kpi_within_sla = 0.0 if missed else 100.0

    @api.depends(
        "resolved_at",
        "reopen_count",
        "repeat_ids",
        "checked_in_at",
        "part_ids.create_date",
    )
    def _compute_kpi_first_time_fix(self):
        for request in self:
            checked_in = request.checked_in_at
            part_after_check_in = checked_in and any(
                part.create_date and part.create_date > checked_in for part in request.part_ids
            )
            fixed = not (request.reopen_count or request.repeat_ids or part_after_check_in)
            request.kpi_first_time_fix = 100.0 if fixed else 0.0

    @api.depends("resolved_at", "user_id")
    def _compute_kpi_closed_weight(self):
        done = self.filtered(lambda r: r.resolved_at and r.user_id)
        (self - done).kpi_closed_weight = 0.0
        # One calendar read per calendar and month, not per work order.
        days = {}
        for request in done:
            calendar = request.user_id.sudo().employee_id.resource_calendar_id or (
                request.company_id.resource_calendar_id
            )
            month = request.resolved_at.date().replace(day=1)
            key = (calendar, month)
            if key not in days:
                days[key] = calendar and calendar._kpi_working_days(month)
            request.kpi_closed_weight = closed_day_weight(days[key])

    # ------------------------------------------------------------------ events
    def _kpi_on_stage_change(self, stage, was_closed):
        """Entering a closing stage dates the resolution; leaving one for an open stage is
        a reopen (an archived work order restored is not)."""
        closing = stage.done or stage.is_resolved
        if closing:
            resolved = self.filtered(lambda r: not was_closed[r.id])
            resolved.resolved_at = fields.Datetime.now()
            if stage.is_resolved:
                resolved._schedule_followup()
            return
        reopened = self.filtered(lambda r: was_closed[r.id] and r.resolved_at)
        for count, requests in reopened.grouped("reopen_count").items():
            requests.write({"reopen_count": count + 1, "resolved_at": False})

    def _schedule_followup(self):
        """The trade's after-repair call: a resolved P1 or P2 work order gives its account
        manager (the contract's, else the desk user who took it) an activity N days later
        (the company's setting), once."""
        xmlid = "barcode_device_service.mail_activity_type_service_followup"
        activity_type = self.env.ref(xmlid, raise_if_not_found=False)
        if not activity_type:
            return
        for request in self.filtered(lambda r: r.severity in ("p1", "p2") and r.customer_id):
            days = request.company_id.service_followup_days
            if days <= 0 or request.activity_ids.filtered(
                lambda a: a.activity_type_id == activity_type
            ):
                continue
            manager = request.contract_id.sudo().user_id or request.owner_user_id
            # sudo: whoever resolves it (a technician) may not read the contract's manager.
            request.sudo().activity_schedule(
                xmlid,
                date_deadline=fields.Date.context_today(request) + timedelta(days=days),
                summary=_(
                    "Call %(customer)s: is the device working well?",
                    customer=request.customer_id.display_name,
                ),
                user_id=manager.id or self.env.user.id,
            )

    def _kpi_link_repeats(self):
        """Link each new work order to the resolution on its device and symptom it repeats
        (one search for the batch)."""
        new = self.filtered(lambda r: r.equipment_id and r.request_date)
        if not new:
            return
        since = min(new.mapped("request_date")) - timedelta(days=REPEAT_DAYS)
        # Reported on a day (core's request date): a resolution counts from its own day.
        earlier = self.sudo().search(
            [
                ("equipment_id", "in", new.equipment_id.ids),
                ("resolved_at", ">=", fields.Datetime.to_datetime(since)),
                ("archive", "=", False),
                ("id", "not in", new.ids),
            ],
            order="resolved_at desc",
        )
        for request in new:
            match = next(
                (
                    old
                    for old in earlier
                    if old.equipment_id == request.equipment_id
                    and is_repeat(
                        old.resolved_at.date(),
                        old.fault_type,
                        request.request_date,
                        request.fault_type,
                        REPEAT_DAYS,
                    )
                ),
                None,
            )
            if match:
                request.repeat_of_id = match
