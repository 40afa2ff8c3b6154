from odoo import api, fields, models


class ServiceSlaPause(models.Model):
    _name = "service.sla.pause"
    _description = "SLA Clock Pause"
    _order = "start_at desc, id desc"

    res_model = fields.Char(string="Document Model", required=True)
    res_id = fields.Many2oneReference(
        string="Document", model_field="res_model", required=True, index=True
    )
    request_id = fields.Many2one(
        "maintenance.request",
        compute="_compute_request_id",
        store=True,
        precompute=True,
        ondelete="cascade",
        index="btree_not_null",
    )
    company_id = fields.Many2one("res.company", required=True, index=True)
    start_at = fields.Datetime(string="Start", required=True)
    end_at = fields.Datetime(string="End", index="btree_not_null")
    reason = fields.Char(required=True)
    user_id = fields.Many2one("res.users", string="Paused by", default=lambda self: self.env.user)

    @api.depends("res_model", "res_id")
    def _compute_request_id(self):
        for pause in self:
            is_request = pause.res_model == "maintenance.request"
            pause.request_id = pause.res_id if is_request else False
