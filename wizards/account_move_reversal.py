from odoo import models


class AccountMoveReversal(models.TransientModel):
    _inherit = "account.move.reversal"

    def reverse_moves(self, is_modify=False):
        """*Reverse and create a new draft*: the new draft of a settlement takes over the
        entries the reversal opened again, so that posting it settles them and no other
        settlement offers them twice."""
        Entry = self.env["service.ledger.entry"].sudo()
        held = Entry.search([("settlement_move_id", "in", self.move_ids.ids)]).grouped(
            "settlement_move_id"
        )
        result = super().reverse_moves(is_modify=is_modify)
        if is_modify and held:
            Entry._hand_over(held, self.move_ids, self.new_move_ids)
        return result
