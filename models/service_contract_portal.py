"""What the contract's portal pages show: its SLA targets in the customer's words and its
service credits per month. Same model as service_contract.py; the controller checks
access and renders."""

from odoo import models

# The ledger entries a customer sees, those the service manager has confirmed (drafts under
# review, disputed and cancelled entries are not shown).
PORTAL_LEDGER_STATES = ("confirmed", "settled")


class ServiceContract(models.Model):
    _inherit = "service.contract"

    def _get_portal_sla_rows(self):
        """The contract's targets per severity, in words (a device's page)."""
        SlaTarget = self.env["service.contract.sla"]
        return [
            {
                "severity": SlaTarget._portal_severity_label(sla.severity),
                "response": SlaTarget._portal_duration(sla.response_hours),
                "arrival": sla.arrival_hours and SlaTarget._portal_duration(sla.arrival_hours),
                "resolution": SlaTarget._portal_duration(sla.resolution_hours),
            }
            for sla in self.sla_ids.sorted("severity")
        ]

    def _get_portal_ledger_values(self, period=None):
        """The contract's service credits as the customer sees them: totals per period (one
        grouped read) and the confirmed and settled entries of one period (``period``, else
        the latest), with the posted documents that settled them."""
        # sudo: portal users have no access to the ledger. These are the reviewed entries of
        # the one contract the portal page was allowed to show (_document_check_access), in
        # the states the customer is told about.
        self.ensure_one()
        Entry = self.env["service.ledger.entry"].sudo()
        domain = [("contract_id", "=", self.id), ("state", "in", PORTAL_LEDGER_STATES)]
        totals = {}
        for period_key, currency, direction, amount in Entry._read_group(
            domain,
            ["period", "currency_id", "direction"],
            ["amount:sum"],
            order="period desc",
        ):
            row = totals.setdefault(
                (period_key, currency),
                {"period": period_key, "currency": currency, "credit": 0.0, "charge": 0.0},
            )
            row[direction] += amount
        period_totals = list(totals.values())
        for row in period_totals:
            row["net"] = row["credit"] - row["charge"]
        periods = [row["period"] for row in period_totals]
        # A period asked for in the address that has no credit shows the latest one, saying so.
        unknown_period = bool(period) and period not in periods
        if not period or unknown_period:
            period = periods[0] if periods else False
        entries = Entry.browse()
        if period:
            entries = Entry.search([*domain, ("period", "=", period)], order="date desc, id desc")
        return {
            "period_totals": period_totals,
            "ledger_period": period,
            "ledger_entries": entries,
            "unknown_period": unknown_period,
        }
