"""A document other than a work order carrying the SLA clock (loaded only by its test)."""

from odoo import fields, models
from odoo.addons.barcode_device_service.models.service_contract_sla import SEVERITIES


class SlaFakeTicket(models.Model):
    _name = "bds.sla.fake.ticket"
    _inherit = ["service.sla.mixin", "mail.thread", "mail.activity.mixin"]
    _description = "SLA Fake Ticket"

    name = fields.Char()
    company_id = fields.Many2one("res.company")
    contract_id = fields.Many2one("service.contract")
    severity = fields.Selection(SEVERITIES, default="p3", required=True)
