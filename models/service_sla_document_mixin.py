from odoo import _, api, fields, models
from odoo.exceptions import UserError


def open_document_action(env, res_model, res_id, missing_message):
    """The form of the document a record points to by ``res_model``/``res_id`` (an SLA
    line, a pause, a ledger entry), for a user who may read it; ``missing_message`` when it
    is gone."""
    document = env[res_model].browse(res_id).exists() if res_model else None
    if not document:
        raise UserError(missing_message)
    document.check_access("read")
    return {
        "type": "ir.actions.act_window",
        "res_model": res_model,
        "res_id": document.id,
        "view_mode": "form",
        "views": [(False, "form")],
    }


class ServiceSlaDocumentMixin(models.AbstractModel):
    """What an SLA line or pause knows of the document whose clock it belongs to: any model
    inheriting ``service.sla.mixin``, by ``res_model``/``res_id``."""

    _name = "service.sla.document.mixin"
    _description = "Document of an SLA Clock"

    res_model = fields.Char(string="Document Model", required=True)
    res_id = fields.Many2oneReference(
        string="Document", model_field="res_model", required=True, index=True
    )
    # Work orders are this addon's own clock holders: a real many2one for them gives the
    # analysis its grouping and the database its cascade.
    request_id = fields.Many2one(
        "maintenance.request",
        compute="_compute_request_id",
        store=True,
        precompute=True,
        ondelete="cascade",
        index="btree_not_null",
    )
    company_id = fields.Many2one("res.company", required=True, index=True)
    document_name = fields.Char(compute="_compute_document_name")

    @api.model_create_multi
    def create(self, vals_list):
        vals_list = [dict(vals) for vals in vals_list]
        # A work order's line or pause may be given by its request_id alone.
        for vals in vals_list:
            if vals.get("request_id") and not vals.get("res_id"):
                request = self.env["maintenance.request"].browse(vals["request_id"])
                vals.update(res_model=request._name, res_id=request.id)
                vals.setdefault("company_id", request.company_id.id)
        return super().create(vals_list)

    @api.depends("res_model", "res_id")
    def _compute_request_id(self):
        for record in self:
            is_request = record.res_model == "maintenance.request"
            record.request_id = record.res_id if is_request else False

    def _compute_document_name(self):
        names = {}
        for model, records in self.grouped("res_model").items():
            if model not in self.env:
                continue
            documents = self.env[model].browse(set(records.mapped("res_id"))).exists()
            names |= {
                (model, doc.id): doc.display_name for doc in documents._filtered_access("read")
            }
        for record in self:
            record.document_name = names.get((record.res_model, record.res_id), False)

    def action_open_document(self):
        """The work order (or other document) whose clock this is."""
        self.ensure_one()
        return open_document_action(
            self.env,
            self.res_model,
            self.res_id,
            _("The document of this SLA clock no longer exists."),
        )
