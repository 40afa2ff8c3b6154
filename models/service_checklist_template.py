from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class ServiceChecklistTemplate(models.Model):
    """A device model's service procedure: the ordered checks a technician goes through on
    each of its work orders (or on those of a whole product category)."""

    _name = "service.checklist.template"
    _description = "Service Checklist Template"
    _order = "sequence, name, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", index=True, help="Empty: every company.")
    product_tmpl_id = fields.Many2one(
        "product.template",
        string="Device Model",
        domain=[("is_serviced_device", "=", True)],
        index="btree_not_null",
        check_company=True,
    )
    categ_id = fields.Many2one(
        "product.category",
        string="Product Category",
        index="btree_not_null",
        help="For the device models of this category that have no checklist of their own.",
    )
    item_ids = fields.One2many(
        "service.checklist.template.item", "template_id", string="Checks", copy=True
    )

    # "name" too: a template created without either scope is checked as well.
    @api.constrains("name", "product_tmpl_id", "categ_id")
    def _check_scope(self):
        for template in self:
            if bool(template.product_tmpl_id) == bool(template.categ_id):
                raise ValidationError(
                    _(
                        "Checklist %(name)s: choose a device model or a product category "
                        "(one of them).",
                        name=template.name,
                    )
                )

    @api.model
    def _for_devices(self, devices):
        """{device: its checklist template} for ``devices``: the device model's own, else
        its category's; one search."""
        products = devices.product_id.product_tmpl_id
        templates = self.search(
            [
                "|",
                ("product_tmpl_id", "in", products.ids),
                ("categ_id", "in", products.categ_id.ids),
            ]
        )
        result = {}
        for device in devices:
            product = device.product_id.product_tmpl_id
            candidates = [
                template
                for template in templates
                if template.company_id in (device.company_id, template.company_id.browse())
            ]
            result[device] = next(
                (t for t in candidates if t.product_tmpl_id == product),
                next(
                    (t for t in candidates if product.categ_id and t.categ_id == product.categ_id),
                    self.browse(),
                ),
            )
        return result
