"""The work order's procedure: the checklist of its device model, given when the work order
is created or its device changes; resolving it needs every required check done. Same model
as maintenance_request.py."""

from odoo import _, api, fields, models
from odoo.exceptions import UserError


class MaintenanceRequest(models.Model):
    _inherit = "maintenance.request"

    checklist_line_ids = fields.One2many(
        "service.checklist.line", "request_id", string="Checklist", copy=False
    )

    @api.model_create_multi
    def create(self, vals_list):
        requests = super().create(vals_list)
        requests.filtered("equipment_id")._apply_checklist()
        return requests

    def write(self, vals):
        stage = self.env["maintenance.stage"].browse(vals.get("stage_id"))
        if stage.is_resolved:
            self.filtered(lambda r: not r.stage_id.is_resolved)._check_checklist_complete()
        result = super().write(vals)
        if "equipment_id" in vals:
            self._apply_checklist()
        return result

    def _apply_checklist(self):
        """The checks of each work order's device model (else its category): the checks not
        done yet are replaced, those done stay."""
        # sudo: any employee may report a fault (core Maintenance); the procedure comes with
        # the work order whoever creates it.
        requests = self.sudo()
        templates = (
            self.env["service.checklist.template"].sudo()._for_devices(requests.equipment_id)
        )
        Line = self.env["service.checklist.line"].sudo()
        requests.checklist_line_ids.filtered(lambda line: not line.is_done).unlink()
        vals_list = []
        for request in requests:
            template = templates.get(request.equipment_id)
            if not template:
                continue
            kept = set(request.checklist_line_ids.mapped("name"))
            vals_list += [
                vals for vals in Line._values_from(template, request) if vals["name"] not in kept
            ]
        Line.create(vals_list)

    def _check_checklist_complete(self):
        # sudo: an employee outside Device Service may resolve a request of core Maintenance.
        for request in self.sudo():
            missing = request.checklist_line_ids.filtered(
                lambda line: line.required and not line.is_complete
            )
            if missing:
                raise UserError(
                    _(
                        "%(name)s cannot be resolved yet: these checks of its procedure are "
                        "not done:\n%(checks)s",
                        name=request.reference or request.name,
                        checks="\n".join(f"- {line.name}" for line in missing),
                    )
                )
