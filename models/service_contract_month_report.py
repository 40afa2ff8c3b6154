"""Each contract's monthly service report: once a month closes in the contract's time
zone (and the ledger's period job has evaluated it, which triggers this job), a PDF per
contract is printed, a batch of contracts in one print, attached to the contract and
e-mailed to the customer unless the contract opts out. Batches commit; a report is made
once per contract and month (unique), so a run killed halfway goes on without
duplicates. Same model as service_contract.py."""

from odoo import _, api, fields, models
from odoo.tools import SQL

from ..tools import penalty
from ..tools.batches import run_locked_batches

MONTH_REPORT_BATCH_SIZE = 50


class ServiceContract(models.Model):
    _inherit = "service.contract"

    month_report_ids = fields.One2many(
        "service.month.report", "contract_id", string="Monthly Reports", readonly=True
    )
    month_report_count = fields.Integer(compute="_compute_month_report_count")
    send_month_report = fields.Boolean(
        string="E-mail Monthly Report",
        default=True,
        tracking=True,
        help="E-mail the customer the service report of each month once it closes. The "
        "report is made and shown on the portal either way.",
    )

    def _compute_month_report_count(self):
        counts = dict(
            self.env["service.month.report"]._read_group(
                [("contract_id", "in", self.ids)], ["contract_id"], ["__count"]
            )
        )
        for contract in self:
            contract.month_report_count = counts.get(contract, 0)

    def action_view_month_reports(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Monthly Reports"),
            "res_model": "service.month.report",
            "view_mode": "list,form",
            "domain": [("contract_id", "=", self.id)],
            "context": {"create": False},
        }

    # ------------------------------------------------------------------ monthly job
    @api.model
    def _cron_month_reports(self, batch_size=MONTH_REPORT_BATCH_SIZE, commit=None):
        """The service report of the month last closed, for each contract in force in it
        that has none yet."""
        now = fields.Datetime.now()
        return run_locked_batches(
            self.env,
            lambda after_id: self.sudo()._lock_contracts_to_report(now, after_id, batch_size),
            lambda contracts: contracts._make_month_reports(now),
            commit=commit,
            job="Monthly service reports",
        )

    @api.model
    def _lock_contracts_to_report(self, now, after_id, limit):
        """The next contracts (by id) in force in a month that may have closed and
        without its report, locked; those another worker holds are skipped."""
        self.flush_model(["state", "date_start", "date_end"])
        self.env["service.month.report"].flush_model(["contract_id", "period"])
        latest = penalty.last_closed_period(now + penalty.MAX_UTC_OFFSET, "UTC")
        earliest = penalty.last_closed_period(now - penalty.MAX_UTC_OFFSET, "UTC")
        query = SQL(
            """
            SELECT contract.id
              FROM service_contract contract
             WHERE contract.id > %(after)s
               AND contract.state != 'draft'
               AND contract.date_start <= %(last_day)s
               AND contract.date_end >= %(first_day)s
               AND NOT EXISTS (SELECT 1 FROM service_month_report report
                                WHERE report.contract_id = contract.id
                                  AND report.period >= %(earliest)s)
             ORDER BY contract.id
             LIMIT %(limit)s
               FOR NO KEY UPDATE OF contract SKIP LOCKED
            """,
            after=after_id,
            last_day=penalty.last_day(latest),
            first_day=penalty.first_day(earliest),
            earliest=earliest,
            limit=limit,
        )
        self.env.flush_query(query)
        self.env.cr.execute(query, log_exceptions=False)
        return self.browse([row[0] for row in self.env.cr.fetchall()])

    def _make_month_reports(self, now):
        """Print, attach and send the reports of these contracts' last closed month (in
        their zone), for those in force in it."""
        vals_list = []
        for contract in self:
            period = penalty.last_closed_period(now, contract._period_tz())
            if contract.date_start <= penalty.last_day(period) and (
                contract.date_end >= penalty.first_day(period)
            ):
                vals_list.append({"contract_id": contract.id, "period": period})
        if not vals_list:
            return
        existing = {
            (report.contract_id.id, report.period)
            for report in self.env["service.month.report"].search([("contract_id", "in", self.ids)])
        }
        vals_list = [v for v in vals_list if (v["contract_id"], v["period"]) not in existing]
        reports = self.env["service.month.report"].sudo().create(vals_list)
        reports._store_figures()
        reports._print()
        reports._send()
