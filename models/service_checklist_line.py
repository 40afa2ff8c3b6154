from odoo import api, fields, models

from .service_checklist_template_item import EXPECTS


class ServiceChecklistLine(models.Model):
    """One check of a work order's procedure, ticked by the technician with the value or
    photo it asks for."""

    _name = "service.checklist.line"
    _description = "Work Order Checklist Line"
    _order = "request_id, sequence, id"

    request_id = fields.Many2one(
        "maintenance.request", string="Work Order", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="request_id.company_id", store=True, index=True)
    sequence = fields.Integer(default=10)
    name = fields.Char(string="Check", required=True)
    required = fields.Boolean()
    expects = fields.Selection(EXPECTS, required=True, default="nothing")
    is_done = fields.Boolean(string="Done")
    value = fields.Char()
    note = fields.Text()
    photo = fields.Image(max_width=1920, max_height=1920)
    is_complete = fields.Boolean(compute="_compute_is_complete", store=True)

    @api.depends("is_done", "expects", "value", "photo")
    def _compute_is_complete(self):
        for line in self:
            line.is_complete = line.is_done and (
                line.expects == "nothing"
                or (line.expects == "value" and bool((line.value or "").strip()))
                or (line.expects == "photo" and bool(line.photo))
            )

    @api.model
    def _values_from(self, template, request):
        return [
            {
                "request_id": request.id,
                "sequence": item.sequence,
                "name": item.name,
                "required": item.required,
                "expects": item.expects,
            }
            for item in template.item_ids
        ]
