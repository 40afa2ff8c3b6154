from odoo import fields, models
from odoo.tools import SQL

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

    def _milestone_hours(self, milestone):
        """The working hours to meet ``milestone``: its newest line still applying."""
        return SQL(
            """(SELECT line.elapsed_hours
                  FROM service_sla_line line
                 WHERE line.res_model = 'maintenance.request' AND line.res_id = request.id
                   AND line.milestone = %s AND line.state IN ('met', 'met_late')
              ORDER BY line.id DESC LIMIT 1)""",
            milestone,
        )

    @property
    def _table_query(self):
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
                   request.is_closed,
                   %(response)s AS response_hours,
                   %(arrival)s AS arrival_hours,
                   %(resolution)s AS resolution_hours,
                   CASE WHEN NOT request.is_closed THEN NULL
                        WHEN EXISTS (SELECT 1 FROM service_sla_line line
                                      WHERE line.res_model = 'maintenance.request'
                                        AND line.res_id = request.id
                                        AND line.state IN ('breached', 'met_late'))
                        THEN 0.0 ELSE 100.0 END AS within_sla_percent,
                   CASE WHEN NOT request.is_closed THEN NULL
                        WHEN request.resolved_remotely THEN 100.0 ELSE 0.0 END AS remote_percent,
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
            """,
            response=self._milestone_hours("response"),
            arrival=self._milestone_hours("arrival"),
            resolution=self._milestone_hours("resolution"),
        )
