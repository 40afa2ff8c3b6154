from collections import defaultdict

from odoo import api, models

from .service_ledger_entry import ENTRY_KINDS


class ReportLedgerStatement(models.AbstractModel):
    """The customer's service credit statement (PDF) of the chosen ledger entries: one
    statement per contract and period."""

    _name = "report.barcode_device_service.report_ledger_statement"
    _description = "Service Credit Statement"

    @api.model
    def _get_report_values(self, docids, data=None):
        entries = self.env["service.ledger.entry"].browse(docids)
        return {
            "doc_ids": docids,
            "doc_model": "service.ledger.entry",
            "docs": entries,
            "statements": self._statements(entries),
        }

    @api.model
    def _statements(self, entries):
        """The entries (cancelled ones left out), the totals per kind, the net and the
        documents that settled them, per contract and period."""
        kinds = dict(entries._fields["kind"]._description_selection(self.env))
        statements = []
        live = entries.filtered(lambda e: e.state != "cancelled").sorted(
            lambda e: (e.contract_id.id, e.period, e.date, e.id)
        )
        for (contract, period), group in live.grouped(lambda e: (e.contract_id, e.period)).items():
            totals = defaultdict(float)
            for entry in group:
                totals[entry.kind] += entry.signed_amount
            statements.append(
                {
                    "contract": contract,
                    "period": period,
                    "entries": group,
                    "totals": [
                        (kinds[kind], totals[kind])
                        for kind, _label in ENTRY_KINDS
                        if kind in totals
                    ],
                    "net": contract.currency_id.round(sum(totals.values())),
                    "moves": group.settlement_move_id,
                    "tz": contract._period_tz(),
                }
            )
        return statements
