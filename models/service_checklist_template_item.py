from odoo import fields, models

# What a check asks of the technician besides the tick.
EXPECTS = [
    ("nothing", "Tick Only"),
    ("value", "A Value"),
    ("photo", "A Photo"),
]


class ServiceChecklistTemplateItem(models.Model):
    _name = "service.checklist.template.item"
    _description = "Service Checklist Check"
    _order = "template_id, sequence, id"

    template_id = fields.Many2one(
        "service.checklist.template", required=True, ondelete="cascade", index=True
    )
    sequence = fields.Integer(default=10)
    name = fields.Char(string="Check", required=True, translate=True)
    required = fields.Boolean(default=True, help="The work order cannot be resolved without it.")
    expects = fields.Selection(EXPECTS, required=True, default="nothing")
