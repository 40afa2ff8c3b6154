from odoo import _, fields, models
from odoo.exceptions import AccessError

from ..tools.groups import ACCOUNTANT, MANAGER, USER


class Digest(models.Model):
    """Device Service's figures in Odoo's periodic digest e-mail, read from the same stored
    figures as the Service KPIs analysis (README, "Service KPIs"): those of the work orders
    resolved (or answered) in the digest's period, and the queue as it stands."""

    _inherit = "digest.digest"

    kpi_bds_on_time = fields.Boolean(string="Closed within SLA (%)")
    kpi_bds_on_time_value = fields.Float(
        compute="_compute_kpi_bds_on_time_value", export_string_translation=False
    )
    kpi_bds_first_response = fields.Boolean(string="Average First Response (h)")
    kpi_bds_first_response_value = fields.Float(
        compute="_compute_kpi_bds_first_response_value", export_string_translation=False
    )
    kpi_bds_first_time_fix = fields.Boolean(string="First-Time Fix (%)")
    kpi_bds_first_time_fix_value = fields.Float(
        compute="_compute_kpi_bds_first_time_fix_value", export_string_translation=False
    )
    kpi_bds_satisfaction = fields.Boolean(string="Customer Rating (/5)")
    kpi_bds_satisfaction_value = fields.Float(
        compute="_compute_kpi_bds_satisfaction_value", export_string_translation=False
    )
    kpi_bds_money_at_risk = fields.Boolean(string="Penalties at Risk")
    kpi_bds_money_at_risk_value = fields.Monetary(
        compute="_compute_kpi_bds_money_at_risk_value", export_string_translation=False
    )
    kpi_bds_open_p1 = fields.Boolean(string="Open P1 Work Orders")
    kpi_bds_open_p1_value = fields.Integer(
        compute="_compute_kpi_bds_open_p1_value", export_string_translation=False
    )
    kpi_bds_penalties = fields.Boolean(string="Service Penalties")
    kpi_bds_penalties_value = fields.Monetary(
        compute="_compute_kpi_bds_penalties_value", export_string_translation=False
    )

    def _bds_check_group(self, group):
        if not self.env.user.has_group(group):
            raise AccessError(_("Do not have access, skip this data for user's digest email"))

    def _bds_per_company(self, model, domain, aggregate, field_name, period_field=None):
        """``aggregate`` of ``model`` per company of the digests, over the digest's period
        on ``period_field`` (None: as things stand now), one query."""
        start, end, companies = self._get_kpi_compute_parameters()
        domain = [*domain, ("company_id", "in", companies.ids)]
        if period_field:
            domain += [(period_field, ">=", start), (period_field, "<", end)]
        values = dict(self.env[model].sudo()._read_group(domain, ["company_id"], [aggregate]))
        for digest in self:
            digest[field_name] = values.get(digest.company_id or self.env.company) or 0

    def _bds_resolved(self):
        return [("customer_id", "!=", False), ("archive", "=", False)]

    def _compute_kpi_bds_on_time_value(self):
        self._bds_check_group(USER)
        self._bds_per_company(
            "maintenance.request",
            self._bds_resolved(),
            "kpi_within_sla:avg",
            "kpi_bds_on_time_value",
            period_field="resolved_at",
        )

    def _compute_kpi_bds_first_response_value(self):
        self._bds_check_group(USER)
        self._bds_per_company(
            "maintenance.request",
            [("customer_id", "!=", False)],
            "kpi_response_hours:avg",
            "kpi_bds_first_response_value",
            period_field="kpi_response_at",
        )

    def _compute_kpi_bds_first_time_fix_value(self):
        self._bds_check_group(USER)
        self._bds_per_company(
            "maintenance.request",
            [*self._bds_resolved(), ("stage_id.is_resolved", "=", True)],
            "kpi_first_time_fix:avg",
            "kpi_bds_first_time_fix_value",
            period_field="resolved_at",
        )

    def _compute_kpi_bds_satisfaction_value(self):
        self._bds_check_group(USER)
        self._bds_per_company(
            "maintenance.request",
            [*self._bds_resolved(), ("rating_last_value", ">", 0)],
            "rating_last_value:avg",
            "kpi_bds_satisfaction_value",
            period_field="resolved_at",
        )

    def _compute_kpi_bds_money_at_risk_value(self):
        self._bds_check_group(USER)
        self._bds_per_company(
            "maintenance.request",
            [("is_closed", "=", False), ("penalty_at_risk", ">", 0)],
            "penalty_at_risk:sum",
            "kpi_bds_money_at_risk_value",
        )

    def _compute_kpi_bds_open_p1_value(self):
        self._bds_check_group(USER)
        self._bds_per_company(
            "maintenance.request",
            [("is_closed", "=", False), ("severity", "=", "p1"), ("customer_id", "!=", False)],
            "__count",
            "kpi_bds_open_p1_value",
        )

    def _compute_kpi_bds_penalties_value(self):
        if not (self.env.user.has_group(MANAGER) or self.env.user.has_group(ACCOUNTANT)):
            raise AccessError(_("Do not have access, skip this data for user's digest email"))
        self._bds_per_company(
            "service.ledger.entry",
            [("kind", "=", "penalty"), ("state", "!=", "cancelled")],
            "signed_amount:sum",
            "kpi_bds_penalties_value",
            period_field="date",
        )

    def _compute_kpis_actions(self, company, user):
        res = super()._compute_kpis_actions(company, user)
        work_orders = "barcode_device_service.maintenance_request_action_work_orders"
        kpis = "barcode_device_service.service_kpi_report_action"
        at_risk = "barcode_device_service.maintenance_request_action_money_at_risk"
        res.update(
            {
                "kpi_bds_on_time": kpis,
                "kpi_bds_first_response": kpis,
                "kpi_bds_first_time_fix": kpis,
                "kpi_bds_satisfaction": kpis,
                "kpi_bds_money_at_risk": at_risk,
                "kpi_bds_open_p1": work_orders,
                "kpi_bds_penalties": "barcode_device_service.service_ledger_entry_action",
            }
        )
        return res
