from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models

from ..tools import penalty
from ..tools.kpi import availability_percent, overlap_days
from .service_contract_sla import SEVERITIES
from .service_sla_line import MILESTONES

# Printed before each report of a batch (invisibly): the job splits the PDF there.
SPLIT_MARKER = "BDS-MONTH-REPORT-"


class ReportServiceMonth(models.AbstractModel):
    """The figures of the monthly service reports, for many contracts at once (the monthly
    job prints a batch in one go): a fixed number of queries per batch. The figures are
    those of Service KPIs and the ledger (README, "Service KPIs")."""

    _name = "report.barcode_device_service.report_service_month"
    _description = "Monthly Service Report"

    @api.model
    def _get_report_values(self, docids, data=None):
        reports = self.env["service.month.report"].browse(docids)
        return {
            "doc_ids": docids,
            "doc_model": "service.month.report",
            "docs": reports,
            "figures": self._figures(reports.sudo()),
            "split_marker": SPLIT_MARKER,
        }

    @api.model
    def _figures(self, reports):
        """{report id: its figures}."""
        bounds = {report: report._bounds() for report in reports}
        if not reports:
            return {}
        start = min(b[0] for b in bounds.values())
        end = max(b[1] for b in bounds.values())
        contracts = reports.contract_id
        periods = reports.mapped("period")
        work_orders = self._work_orders(
            contracts,
            (penalty.first_day(min(periods)), penalty.last_day(max(periods))),
            (start, end),
        )
        # Counted as the ledger's rebate counts them, per severity and milestone.
        plan = defaultdict(list)
        for report in reports:
            plan[report.contract_id].append(report.period)
        milestones = defaultdict(list)
        for (contract, period, *detail), counts in (
            self.env["service.contract"]
            ._on_time_shares(
                {contract: sorted(periods) for contract, periods in plan.items()},
                detail=("severity", "milestone"),
            )
            .items()
        ):
            milestones[(contract, period)].append((tuple(detail), counts))
        availability = self._availability(reports, bounds)
        entries = (
            self.env["service.ledger.entry"]
            .sudo()
            .search(
                [
                    ("contract_id", "in", contracts.ids),
                    ("period", "in", list(set(reports.mapped("period")))),
                    ("state", "!=", "cancelled"),
                ],
                order="date, id",
            )
            .grouped(lambda e: (e.contract_id, e.period))
        )
        targets = {
            (sla.contract_id, sla.severity): sla
            for sla in self.env["service.contract.sla"]
            .sudo()
            .search([("contract_id", "in", contracts.ids)])
        }
        severities = dict(SEVERITIES)
        labels = dict(MILESTONES)
        result = {}
        for report in reports:
            contract = report.contract_id
            month_start, month_end = bounds[report]
            first, last = penalty.first_day(report.period), penalty.last_day(report.period)
            reported = [r for r in work_orders[contract] if first <= r["day"] <= last]
            resolved = [
                r
                for r in work_orders[contract]
                if r["resolved_at"] and month_start <= r["resolved_at"] < month_end
            ]
            by_severity = []
            for severity, label in severities.items():
                counts = (
                    sum(1 for r in reported if r["severity"] == severity),
                    sum(1 for r in resolved if r["severity"] == severity),
                )
                if any(counts):
                    by_severity.append((label, *counts))
            mttr = [r["resolution_hours"] for r in resolved if r["resolution_hours"] is not None]
            ratings = [r["rating"] for r in resolved if r["rating"]]
            shares = []
            for (severity, milestone), (on_time, counted) in sorted(
                milestones[(contract, report.period)]
            ):
                sla = targets.get((contract, severity))
                shares.append(
                    {
                        "severity": severities[severity],
                        "milestone": labels[milestone],
                        "target": sla[f"{milestone}_hours"] if sla else None,
                        "counted": counted,
                        "percent": penalty.on_time_percent(on_time, counted),
                    }
                )
            month_entries = entries.get((contract, report.period), self.env["service.ledger.entry"])
            result[report.id] = {
                "by_severity": by_severity,
                "resolved": len(resolved),
                "mttr": sum(mttr) / len(mttr) if mttr else None,
                "rating": sum(ratings) / len(ratings) if ratings else None,
                "rated_percent": 100.0 * len(ratings) / len(resolved) if resolved else None,
                "shares": shares,
                "availability": availability[report],
                "entries": month_entries,
                "net": contract.currency_id.round(sum(month_entries.mapped("signed_amount"))),
            }
        return result

    @api.model
    def _work_orders(self, contracts, days, span):
        """The contracts' work orders reported in ``days`` (first and last day) or
        resolved in ``span`` (naive UTC start and end), per contract: their figures."""
        requests = (
            self.env["maintenance.request"]
            .sudo()
            .search_fetch(
                [
                    ("contract_id", "in", contracts.ids),
                    "|",
                    "&",
                    ("request_date", ">=", days[0]),
                    ("request_date", "<=", days[1]),
                    "&",
                    ("resolved_at", ">=", span[0]),
                    ("resolved_at", "<", span[1]),
                ],
                [
                    "contract_id",
                    "severity",
                    "request_date",
                    "resolved_at",
                    "archive",
                    "kpi_resolution_at",
                    "kpi_resolution_hours",
                    "rating_last_value",
                ],
            )
        )
        rows = defaultdict(list)
        for request in requests:
            rows[request.contract_id].append(
                {
                    "day": request.request_date,
                    "severity": request.severity,
                    # A cancelled (archived) work order resolved nothing.
                    "resolved_at": not request.archive and request.resolved_at,
                    "resolution_hours": request.kpi_resolution_hours
                    if request.kpi_resolution_at
                    else None,
                    "rating": request.rating_last_value,
                }
            )
        return rows

    @api.model
    def _availability(self, reports, bounds):
        """Per report: its commitments' days at or above the minimum over the month's days
        (a commitment counts from the contract's start to its end), with the shortfall
        days; None without a commitment."""
        contracts = reports.contract_id
        commitments = (
            self.env["service.contract.stock.commitment"]
            .sudo()
            .search([("contract_id", "in", contracts.ids)])
            .grouped("contract_id")
        )
        shortfalls = (
            self.env["service.stock.shortfall"]
            .sudo()
            .search_fetch(
                [
                    ("contract_id", "in", contracts.ids),
                    ("date_start", "<", max(b[1] for b in bounds.values())),
                    "|",
                    ("date_end", "=", False),
                    ("date_end", ">=", min(b[0] for b in bounds.values())),
                ],
                ["contract_id", "date_start", "date_end"],
            )
            .grouped("contract_id")
        )
        now = fields.Datetime.now()
        result = {}
        for report in reports:
            contract = report.contract_id
            lines = commitments.get(contract)
            if not lines:
                result[report] = None
                continue
            month_start, month_end = bounds[report]
            month_end = min(month_end, now)
            span_start = max(month_start, fields.Datetime.to_datetime(contract.date_start))
            span_end = min(
                month_end, fields.Datetime.to_datetime(contract.date_end) + timedelta(days=1)
            )
            commitment_days = len(lines) * overlap_days(
                span_start, span_end, month_start, month_end
            )
            shortfall_days = sum(
                overlap_days(s.date_start, s.date_end, span_start, span_end)
                for s in shortfalls.get(contract, [])
            )
            result[report] = {
                "percent": availability_percent(commitment_days, shortfall_days),
                "shortfall_days": shortfall_days,
            }
        return result
