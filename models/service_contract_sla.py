from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools.translate import LazyTranslate

from ..tools.display import format_duration

_lt = LazyTranslate(__name__)

SEVERITIES = [
    ("p1", "P1 - Line stopped"),
    ("p2", "P2 - Degraded"),
    ("p3", "P3 - Normal"),
    ("p4", "P4 - Planned"),
]
# One name per severity everywhere (backend, portal, e-mails): the selection's. On the fault
# form each also says what it means for the customer.
SEVERITY_HINTS = {
    "p1": _lt("production is down"),
    "p2": _lt("working, with problems"),
    "p3": _lt("a fault without urgency"),
    "p4": _lt("a visit or a question"),
}


class ServiceContractSla(models.Model):
    _name = "service.contract.sla"
    _description = "Service Contract SLA Target"
    _order = "contract_id, severity"

    contract_id = fields.Many2one("service.contract", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="contract_id.company_id", store=True, index=True)
    severity = fields.Selection(SEVERITIES, required=True)
    response_hours = fields.Float(required=True, help="First response within these working hours.")
    arrival_hours = fields.Float(
        help="On-site arrival within these working hours; empty means remote-only service."
    )
    resolution_hours = fields.Float(required=True, help="Service restored within these hours.")
    warning_percent = fields.Float(
        default=75.0, help="Warn when this share of the target time has elapsed."
    )

    _sql_constraints = [
        (
            "severity_uniq",
            "unique(contract_id, severity)",
            "A contract has one SLA target per severity.",
        ),
    ]

    @api.constrains("response_hours", "arrival_hours", "resolution_hours", "warning_percent")
    def _check_targets(self):
        for sla in self:
            severity = dict(SEVERITIES)[sla.severity]
            if sla.response_hours <= 0 or sla.resolution_hours <= 0 or sla.arrival_hours < 0:
                raise ValidationError(
                    _(
                        "SLA targets of %(severity)s must be positive numbers of hours.",
                        severity=severity,
                    )
                )
            if sla.response_hours > sla.resolution_hours:
                raise ValidationError(
                    _(
                        "For %(severity)s the response target (%(response)s h) cannot be longer "
                        "than the resolution target (%(resolution)s h).",
                        severity=severity,
                        response=sla.response_hours,
                        resolution=sla.resolution_hours,
                    )
                )
            if sla.arrival_hours and not (
                sla.response_hours <= sla.arrival_hours <= sla.resolution_hours
            ):
                raise ValidationError(
                    _(
                        "For %(severity)s the on-site arrival target must lie between the "
                        "response and the resolution targets.",
                        severity=severity,
                    )
                )
            if not 0 < sla.warning_percent < 100:
                raise ValidationError(
                    _(
                        "The warning threshold of %(severity)s must be between 0 and 100 %%.",
                        severity=severity,
                    )
                )

    @api.model
    def _portal_severity_label(self, severity):
        """The severity's one name ("P1 - Line stopped"), in the environment's language."""
        return dict(self._fields["severity"]._description_selection(self.env)).get(severity, "")

    @api.model
    def _portal_severity_hint(self, severity):
        """What the severity means for the customer ("production is down")."""
        hint = SEVERITY_HINTS.get(severity)
        return self.env._(hint) if hint else ""

    @api.model
    def _portal_duration(self, hours):
        """A target in words a customer reads at a glance (see format_duration)."""
        return format_duration(self.env, hours)
