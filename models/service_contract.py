from odoo import fields, models

from .service_contract_sla import SEVERITIES


class ServiceContract(models.Model):
    _name = "service.contract"
    _description = "Service Contract"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date_start desc, id desc"
    _check_company_auto = True

    name = fields.Char(string="Reference", required=True, copy=False, default="/", index="trigram")
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        tracking=True,
        check_company=True,
    )
    device_ids = fields.Many2many(
        "maintenance.equipment",
        "service_contract_equipment_rel",
        "contract_id",
        "equipment_id",
        string="Covered Devices",
        check_company=True,
    )
    date_start = fields.Date(string="Start Date", required=True, tracking=True)
    date_end = fields.Date(string="End Date", required=True, tracking=True)
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("active", "Active"),
            ("expired", "Expired"),
            ("terminated", "Terminated"),
        ],
        default="draft",
        required=True,
        tracking=True,
        index=True,
        copy=False,
    )
    resource_calendar_id = fields.Many2one(
        "resource.calendar",
        string="Service Hours",
        required=True,
        check_company=True,
        help="SLA clocks count only this calendar's working time, in its time zone, "
        "skipping its leaves (public holidays).",
    )
    currency_id = fields.Many2one(
        "res.currency", required=True, default=lambda self: self.env.company.currency_id
    )
    monthly_fee = fields.Monetary(currency_field="currency_id", tracking=True)
    covers_remote_support = fields.Boolean(string="Remote Support", default=True)
    covers_on_site_repair = fields.Boolean(string="On-site Repair", default=True)
    covers_spare_parts = fields.Boolean(string="Spare Parts")
    covers_firmware = fields.Boolean(string="Firmware Upgrades")
    covers_inspections = fields.Boolean(string="Periodic Inspections")
    user_id = fields.Many2one(
        "res.users",
        string="Account Manager",
        tracking=True,
        default=lambda self: self.env.user,
        domain="[('share', '=', False)]",
    )
    sla_ids = fields.One2many(
        "service.contract.sla", "contract_id", string="SLA Targets", copy=True
    )

    def _sla_for(self, severity):
        """The SLA target of this contract for ``severity`` (empty when there is none)."""
        self.ensure_one()
        return self.sla_ids.filtered(lambda sla: sla.severity == severity)[:1]


__all__ = ["SEVERITIES", "ServiceContract"]
