from odoo import _, api, models
from odoo.exceptions import UserError


class ResourceCalendar(models.Model):
    _inherit = "resource.calendar"

    @api.ondelete(at_uninstall=False)
    def _unlink_except_service_hours(self):
        """SLA clocks count in these calendars: they cannot disappear under them."""
        contracts = (
            self.env["service.contract"].sudo().search([("resource_calendar_id", "in", self.ids)])
        )
        if contracts:
            raise UserError(
                _(
                    "Calendar %(calendar)s gives the service hours of contracts %(contracts)s: "
                    "give them other service hours first, or archive the calendar.",
                    calendar=contracts[0].resource_calendar_id.display_name,
                    contracts=", ".join(contracts[:5].mapped("name")),
                )
            )
        if (
            self.env["service.sla.line"]
            .sudo()
            .search_count([("calendar_id", "in", self.ids)], limit=1)
        ):
            raise UserError(
                _(
                    "SLA clocks of work orders were counted in calendar %(calendar)s: archive "
                    "it instead of deleting it.",
                    calendar=", ".join(self.mapped("display_name")),
                )
            )
