from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..tools.dispatch import parse_zip_prefixes, zip_matches


class ServiceRegion(models.Model):
    """A service region: the addresses one maintenance team serves, by country, states and
    postal-code prefixes. A device's work orders are dispatched among the technicians of its
    region's team (README, "Dispatch")."""

    _name = "service.region"
    _description = "Service Region"
    _order = "sequence, name, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(
        default=10, help="When regions overlap, the first one in this order serves an address."
    )
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    country_id = fields.Many2one("res.country", required=True)
    state_ids = fields.Many2many(
        "res.country.state",
        string="States",
        domain="[('country_id', '=', country_id)]",
        help="Empty: every state of the country.",
    )
    zip_prefixes = fields.Char(
        string="ZIP Prefixes",
        help="Postal codes starting with one of these, separated by commas (200, 201). "
        "Empty: every postal code.",
    )
    team_id = fields.Many2one(
        "maintenance.team",
        string="Team",
        required=True,
        check_company=True,
        index=True,
        help="The team whose technicians serve the region.",
    )

    @api.constrains("state_ids", "country_id")
    def _check_states_of_country(self):
        for region in self:
            if region.state_ids.country_id - region.country_id:
                raise ValidationError(
                    _(
                        "Region %(region)s: its states must be in %(country)s.",
                        region=region.name,
                        country=region.country_id.name,
                    )
                )

    @api.constrains("zip_prefixes")
    def _check_zip_prefixes(self):
        for region in self:
            for prefix in parse_zip_prefixes(region.zip_prefixes):
                if not prefix.replace(" ", "").replace("-", "").isalnum():
                    raise ValidationError(
                        _(
                            "Region %(region)s: %(prefix)s is not the beginning of a postal "
                            "code. Separate the prefixes with commas, such as 200, 201.",
                            region=region.name,
                            prefix=prefix,
                        )
                    )

    @api.model_create_multi
    def create(self, vals_list):
        regions = super().create(vals_list)
        regions._recompute_open_work_orders()
        return regions

    def write(self, vals):
        result = super().write(vals)
        self._recompute_open_work_orders()
        return result

    def unlink(self):
        companies = self.company_id
        result = super().unlink()
        self.browse()._recompute_open_work_orders(companies)
        return result

    def _recompute_open_work_orders(self, companies=None):
        """Open work orders take the regions as they are now (closed ones keep theirs)."""
        Request = self.env["maintenance.request"].sudo()
        requests = Request.search(
            [("is_closed", "=", False), ("company_id", "in", (companies or self.company_id).ids)]
        )
        self.env.add_to_compute(Request._fields["region_id"], requests)

    def _matches(self, address):
        """Whether this region serves ``address`` (a partner)."""
        self.ensure_one()
        return (
            bool(address.country_id)
            and address.country_id == self.country_id
            and (not self.state_ids or address.state_id in self.state_ids)
            and zip_matches(address.zip, parse_zip_prefixes(self.zip_prefixes))
        )
