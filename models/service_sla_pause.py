from odoo import fields, models


class ServiceSlaPause(models.Model):
    _name = "service.sla.pause"
    _inherit = ["service.sla.document.mixin"]
    _description = "SLA Clock Pause"
    _order = "start_at desc, id desc"

    start_at = fields.Datetime(string="Start", required=True)
    end_at = fields.Datetime(string="End", index="btree_not_null")
    reason = fields.Char(required=True)
    user_id = fields.Many2one("res.users", string="Paused by", default=lambda self: self.env.user)
