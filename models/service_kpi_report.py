from odoo import fields, models
from odoo.tools import SQL

from .maintenance_request_kpi import FAULT_TYPES
from .service_contract_sla import SEVERITIES


class ServiceKpiReport(models.Model):
    """One row per customer work order with its service figures, each defined once here
    (README, "Service KPIs"): times in working hours of the contract's calendar from the
    SLA milestones, shares as 100/0 per work order so that their average is the share."""

    _name = "service.kpi.report"
    _description = "Service KPI Analysis"
    _auto = False
    _order = "date desc, request_id desc"
    _rec_name = "request_id"

    request_id = fields.Many2one("maintenance.request", string="Work Order", readonly=True)
    date = fields.Date(string="Reported On", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    customer_id = fields.Many2one("res.partner", readonly=True)
    contract_id = fields.Many2one("service.contract", readonly=True)
    team_id = fields.Many2one("maintenance.team", readonly=True)
    user_id = fields.Many2one("res.users", string="Technician", readonly=True)
    device_model_id = fields.Many2one("product.template", string="Device Model", readonly=True)
    severity = fields.Selection(SEVERITIES, readonly=True)
    channel = fields.Selection(
        selection=lambda self: self.env["maintenance.request"]._fields["channel"].selection,
        string="Intake Channel",
        readonly=True,
    )
    fault_type = fields.Selection(FAULT_TYPES, string="Symptom", readonly=True)
    is_closed = fields.Boolean(string="Closed", readonly=True)
    response_hours = fields.Float(
        string="First Response (h)",
        aggregator="avg",
        readonly=True,
        help="Working hours from the report to the first response.",
    )
    arrival_hours = fields.Float(
        string="Arrival (h)",
        aggregator="avg",
        readonly=True,
        help="Working hours from the report to the technician's check-in.",
    )
    resolution_hours = fields.Float(
        string="Resolution (h, MTTR)",
        aggregator="avg",
        readonly=True,
        help="Working hours from the report to the resolution, pauses excluded.",
    )
    within_sla_percent = fields.Float(
        string="Closed within SLA (%)",
        aggregator="avg",
        readonly=True,
        help="Closed work orders whose every milestone was met on time (healthy: 85 % or more).",
    )
    first_time_fix_percent = fields.Float(
        string="First-Time Fix (%)",
        aggregator="avg",
        readonly=True,
        help="Resolved work orders fixed at the first visit: no part asked for after the "
        "check-in, never reopened, and no work order on the same device and symptom within "
        "30 days.",
    )
    reopen_percent = fields.Float(
        string="Reopened (%)",
        aggregator="avg",
        readonly=True,
        help="Resolved work orders that were reopened since.",
    )
    closed_per_day = fields.Float(
        string="Closed per Working Day",
        aggregator="sum",
        readonly=True,
        help="Work orders a technician closed per day of their working calendar: group by "
        "technician and month to read it (3 to 5 is usual for field work).",
    )
    remote_percent = fields.Float(
        string="Resolved Remotely (%)",
        aggregator="avg",
        readonly=True,
    )
    travel_hours = fields.Float(string="Travel (h)", aggregator="avg", readonly=True)
    work_hours = fields.Float(string="Work on Site (h)", aggregator="avg", readonly=True)
    rating = fields.Float(string="Rating (1-5)", aggregator="avg", readonly=True)
    rated_percent = fields.Float(
        string="Rated (%)",
        aggregator="avg",
        readonly=True,
        help="Resolved work orders the customer rated (healthy: 60 % or more).",
    )
    approval_hours = fields.Float(
        string="Parts Approval (h)",
        aggregator="avg",
        readonly=True,
        help="Hours from a part's request to the team manager's decision.",
    )

    @property
    def _table_query(self):
        # Plain columns of the work order (stored by maintenance_request_kpi.py): grouped
        # over a million rows it is one scan. A figure that does not apply is left empty,
        # out of the averages; the parts' approval time is read only when it is asked for.
        return SQL(
            """
            SELECT request.id AS id,
                   request.id AS request_id,
                   request.request_date AS date,
                   request.company_id,
                   request.customer_id,
                   request.contract_id,
                   request.maintenance_team_id AS team_id,
                   request.user_id,
                   product.product_tmpl_id AS device_model_id,
                   request.severity,
                   request.channel,
                   request.fault_type,
                   request.is_closed,
                   CASE WHEN request.kpi_response_at IS NOT NULL
                        THEN request.kpi_response_hours END AS response_hours,
                   CASE WHEN request.kpi_arrival_at IS NOT NULL
                        THEN request.kpi_arrival_hours END AS arrival_hours,
                   CASE WHEN request.kpi_resolution_at IS NOT NULL
                        THEN request.kpi_resolution_hours END AS resolution_hours,
                   CASE WHEN request.is_closed THEN request.kpi_within_sla END
                        AS within_sla_percent,
                   CASE WHEN request.resolved_at IS NOT NULL AND NOT request.archive
                        THEN request.kpi_first_time_fix END AS first_time_fix_percent,
                   CASE WHEN request.resolved_at IS NULL OR request.archive THEN NULL
                        WHEN request.reopen_count > 0 THEN 100.0 ELSE 0.0 END AS reopen_percent,
                   CASE WHEN NOT request.is_closed THEN NULL
                        WHEN request.resolved_remotely THEN 100.0 ELSE 0.0 END AS remote_percent,
                   CASE WHEN request.archive THEN 0.0 ELSE request.kpi_closed_weight END
                        AS closed_per_day,
                   NULLIF(request.travel_hours, 0) AS travel_hours,
                   NULLIF(request.work_hours, 0) AS work_hours,
                   NULLIF(request.rating_last_value, 0) AS rating,
                   CASE WHEN NOT request.is_closed OR request.archive THEN NULL
                        WHEN request.rating_last_value > 0 THEN 100.0 ELSE 0.0 END AS rated_percent,
                   (SELECT AVG(part.approval_hours) FROM maintenance_request_part part
                     WHERE part.request_id = request.id
                       AND part.approval_requested_at IS NOT NULL
                       AND part.state != 'to_approve') AS approval_hours
              FROM maintenance_request request
         LEFT JOIN maintenance_equipment device ON device.id = request.equipment_id
         LEFT JOIN product_product product ON product.id = device.product_id
             WHERE request.customer_id IS NOT NULL
            """
        )
