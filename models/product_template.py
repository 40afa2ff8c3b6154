from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class ProductTemplate(models.Model):
    _inherit = "product.template"

    is_serviced_device = fields.Boolean(
        string="Serviced Device",
        help="Delivering a serial number of this product to a customer registers (or updates) "
        "the customer's device in Device Service.",
    )
    device_warranty_months = fields.Integer(
        string="Device Warranty (months)",
        default=12,
        help="Warranty given from the delivery date of each unit.",
    )

    @api.constrains("device_warranty_months")
    def _check_device_warranty_months(self):
        for template in self:
            if template.device_warranty_months < 0:
                raise ValidationError(
                    _(
                        "The warranty of %(product)s cannot be a negative number of months.",
                        product=template.display_name,
                    )
                )

    @api.onchange("is_serviced_device", "is_storable")
    def _onchange_is_serviced_device(self):
        # Devices are followed unit by unit: a serviced device is tracked by serial number.
        if self.is_serviced_device and self.is_storable:
            self.tracking = "serial"
