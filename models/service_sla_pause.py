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

    @api.model_create_multi
    def create(self, vals_list):
        # A work order's pause may be given by its request_id alone.
        for vals in vals_list:
            if vals.get("request_id") and not vals.get("res_id"):
                request = self.env["maintenance.request"].browse(vals["request_id"])
                vals.update(res_model=request._name, res_id=request.id)
                vals.setdefault("company_id", request.company_id.id)
        return super().create(vals_list)

    @api.depends("res_model", "res_id")
    def _compute_request_id(self):
        for pause in self:
            is_request = pause.res_model == "maintenance.request"
            pause.request_id = pause.res_id if is_request else False
