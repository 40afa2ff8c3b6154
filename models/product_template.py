from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class ProductTemplate(models.Model):
    _inherit = "product.template"

    is_serviced_device = fields.Boolean(
        string="Serviced Device",
        help="Delivering a serial number of this product to a customer registers (or updates) "
        "the customer's device in Device Service.",
    )
    # Only spare parts are offered on work orders (not furniture or office supplies).
    is_spare_part = fields.Boolean(
        string="Spare Part",
        index=True,
        help="Can be used on work orders as a spare part.",
    )
    # The spare parts that fit this device model: offered first on its work orders.
    compatible_part_ids = fields.Many2many(
        "product.product",
        "product_template_compatible_part_rel",
        "device_template_id",
        "part_id",
        string="Compatible Spare Parts",
        domain=[("is_spare_part", "=", True)],
        help="Offered first when a part is picked on a work order of a device of this model.",
    )
    # What a technician must master to service this device model (Employees' skills).
    service_skill_ids = fields.Many2many(
        "hr.skill",
        string="Service Skills",
        help="Work orders on devices of this model go to technicians with all these skills.",
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
