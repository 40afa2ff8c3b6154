from odoo import api, fields, models

# What the wizard does to the selected entries, and the entry method that does it.
REASON_ACTIONS = {
    "cancel": "action_cancel",
    "dispute": "action_dispute",
    "resolve": "action_resolve",
    "reverse": "action_reverse",
}


class ServiceLedgerEntryReason(models.TransientModel):
    _name = "service.ledger.entry.reason"
    _description = "Reason for a Ledger Entry Change"

    entry_ids = fields.Many2many("service.ledger.entry", string="Entries", required=True)
    action = fields.Selection(
        [
            ("cancel", "Cancel"),
            ("dispute", "Dispute"),
            ("resolve", "Resolve Dispute"),
            ("reverse", "Reverse"),
        ],
        required=True,
    )
    reason = fields.Text(required=True)

    @api.model
    def default_get(self, fields_list):
        """The entries the action was started from (a form, or a selection in the list)."""
        values = super().default_get(fields_list)
        if "entry_ids" in fields_list and not values.get("entry_ids"):
            if self.env.context.get("active_model") == "service.ledger.entry":
                values["entry_ids"] = [(6, 0, self.env.context.get("active_ids", []))]
        return values

    def action_apply(self):
        self.ensure_one()
        getattr(self.entry_ids, REASON_ACTIONS[self.action])(self.reason)
        return {"type": "ir.actions.act_window_close"}
