from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class MaintenanceStage(models.Model):
    _inherit = "maintenance.stage"

    pauses_sla = fields.Boolean(
        string="Pauses the SLA Clock",
        help="While a work order sits in this stage (e.g. waiting for the customer), none of "
        "its SLA clocks run.",
    )
    pause_reason = fields.Char(help="Recorded on each pause, e.g. 'Waiting for customer'.")
    starts_work = fields.Boolean(
        string="Work in Progress",
        help="Moving a work order here counts as its first response.",
    )
    is_resolved = fields.Boolean(
        string="Resolved", help="Reaching this stage meets the resolution target."
    )

    @api.constrains("pauses_sla", "pause_reason")
    def _check_pause_reason(self):
        for stage in self:
            if stage.pauses_sla and not (stage.pause_reason or "").strip():
                raise ValidationError(
                    _(
                        "Stage %(stage)s pauses the SLA clock: give the pause reason the "
                        "customer will see.",
                        stage=stage.name,
                    )
                )
