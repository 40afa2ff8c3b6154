from odoo import http
from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager
from odoo.exceptions import AccessError, MissingError
from odoo.http import request

# Contracts: the ledger entries a customer sees, those the service manager has confirmed
# (drafts under review, disputed and cancelled entries are not shown).
PORTAL_LEDGER_STATES = ("confirmed", "settled")


class DeviceServicePortal(CustomerPortal):
    """The customer's side of Device Service: devices, work orders and contracts under
    ``/my``, and the device label's QR code (``/service/device/<token>``)."""

    # ------------------------------------------------------------------ home
    def _prepare_home_portal_values(self, counters):
        """One counting query per counter, as the portal user: the record rules say what
        is theirs."""
        values = super()._prepare_home_portal_values(counters)
        env = request.env
        if "device_count" in counters:
            Device = env["maintenance.equipment"]
            values["device_count"] = (
                Device.search_count(self._portal_device_domain())
                if Device.has_access("read")
                else 0
            )
        if "work_order_count" in counters:
            Request = env["maintenance.request"]
            values["work_order_count"] = (
                Request.search_count(
                    [*self._portal_work_order_domain(), ("stage_id.done", "=", False)]
                )
                if Request.has_access("read")
                else 0
            )
        if "service_contract_count" in counters:
            Contract = env["service.contract"]
            values["service_contract_count"] = (
                Contract.search_count(self._portal_contract_domain())
                if Contract.has_access("read")
                else 0
            )
        return values

    def _portal_partner(self):
        return request.env.user.partner_id.commercial_partner_id

    # The customer's whole company, as in the record rules (which hold it anyway): child_of
    # the commercial partner, through the records' stored commercial partner.
    def _portal_device_domain(self):
        return [("commercial_partner_id", "=", self._portal_partner().id)]

    def _portal_work_order_domain(self):
        return [("commercial_partner_id", "=", self._portal_partner().id)]

    def _portal_contract_domain(self):
        return [
            ("commercial_partner_id", "=", self._portal_partner().id),
            ("state", "!=", "draft"),
        ]

    # ------------------------------------------------------------------ devices

    # ------------------------------------------------------------------ device label

    # ------------------------------------------------------------------ work orders

    # ------------------------------------------------------------------ report a fault

    # ------------------------------------------------------------------ rating

    # ------------------------------------------------------------------ contracts
    def _contract_searchbar_sortings(self):
        env = request.env
        return {
            "date": {"label": env._("Start Date"), "order": "date_start desc, id desc"},
            "name": {"label": env._("Reference"), "order": "name, id"},
            "date_end": {"label": env._("End Date"), "order": "date_end desc, id desc"},
        }

    def _contract_searchbar_filters(self):
        env = request.env
        return {
            "all": {"label": env._("All"), "domain": []},
            "active": {"label": env._("Active"), "domain": [("state", "=", "active")]},
        }

    def _prepare_contracts_portal_values(self, page=1, sortby=None, filterby=None):
        """The page of contracts, searched as the portal user (the record rules keep them
        to the customer's non-draft contracts), with their covered devices counted in one
        grouped read."""
        Contract = request.env["service.contract"]
        sortings = self._contract_searchbar_sortings()
        filters = self._contract_searchbar_filters()
        sortby = sortby if sortby in sortings else "date"
        filterby = filterby if filterby in filters else "all"
        domain = [*self._portal_contract_domain(), *filters[filterby]["domain"]]
        pager = portal_pager(
            url="/my/contracts",
            url_args={"sortby": sortby, "filterby": filterby},
            total=Contract.search_count(domain),
            page=page,
            step=self._items_per_page,
        )
        contracts = Contract.search(
            domain,
            order=sortings[sortby]["order"],
            limit=self._items_per_page,
            offset=pager["offset"],
        )
        device_counts = dict(
            request.env["maintenance.equipment"]._read_group(
                [("contract_ids", "in", contracts.ids)], ["contract_ids"], ["__count"]
            )
        )
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "contracts": contracts,
                "device_counts": {
                    contract.id: device_counts.get(contract, 0) for contract in contracts
                },
                "page_name": "device_service_contract",
                "contract": False,
                "pager": pager,
                "default_url": "/my/contracts",
                "searchbar_sortings": sortings,
                "sortby": sortby,
                "searchbar_filters": filters,
                "filterby": filterby,
            }
        )
        return values

    @http.route(
        ["/my/contracts", "/my/contracts/page/<int:page>"],
        type="http",
        auth="user",
        methods=["GET"],
        website=True,
        readonly=True,
    )
    def portal_my_contracts(self, page=1, sortby=None, filterby=None, **kw):
        values = self._prepare_contracts_portal_values(page, sortby, filterby)
        request.session["my_contracts_history"] = values["contracts"].ids[:100]
        return request.render("barcode_device_service.portal_my_contracts", values)

    @http.route(
        ["/my/contracts/<int:contract_id>"],
        type="http",
        auth="public",
        methods=["GET"],
        website=True,
        readonly=True,
    )
    def portal_my_contract(self, contract_id, access_token=None, period=None, **kw):
        """A contract of the user's company (record rules), or any non-draft contract for
        the holder of its access token: terms, devices, SLA targets, locked part prices,
        service credits and the conversation with the service desk."""
        try:
            contract_sudo = self._document_check_access(
                "service.contract", contract_id, access_token=access_token
            )
        except (AccessError, MissingError):
            return request.redirect("/my")
        if contract_sudo.state == "draft":
            # Still being negotiated: not the customer's yet, even with a token.
            return request.redirect("/my")
        contract_sudo._portal_ensure_token()
        values = {
            "contract": contract_sudo,
            "page_name": "device_service_contract",
            "hours_label": self._contract_hours_label,
            **self._contract_ledger_values(contract_sudo, period),
        }
        values = self._get_page_view_values(
            contract_sudo, access_token, values, "my_contracts_history", False, **kw
        )
        return request.render("barcode_device_service.portal_my_contract", values)

    def _contract_ledger_values(self, contract_sudo, period=None):
        """The contract's service credits as the customer sees them: totals per period (one
        grouped read) and the confirmed and settled entries of one period (``period``, else
        the latest), with the posted documents that settled them."""
        # sudo: portal users have no access to the ledger. These are the reviewed entries of
        # the one contract the caller was just allowed to see (_document_check_access), in
        # the states the customer is told about.
        Entry = request.env["service.ledger.entry"].sudo()
        domain = [("contract_id", "=", contract_sudo.id), ("state", "in", PORTAL_LEDGER_STATES)]
        totals = {}
        for period_key, currency, direction, amount in Entry._read_group(
            domain,
            ["period", "currency_id", "direction"],
            ["amount:sum"],
            order="period desc",
        ):
            row = totals.setdefault(
                (period_key, currency),
                {"period": period_key, "currency": currency, "credit": 0.0, "charge": 0.0},
            )
            row[direction] += amount
        period_totals = list(totals.values())
        for row in period_totals:
            row["net"] = row["credit"] - row["charge"]
        periods = [row["period"] for row in period_totals]
        # A period asked for in the address that has no credit shows the latest one, saying so.
        unknown_period = bool(period) and period not in periods
        if not period or unknown_period:
            period = periods[0] if periods else False
        entries = Entry.browse()
        if period:
            entries = Entry.search([*domain, ("period", "=", period)], order="date desc, id desc")
        return {
            "period_totals": period_totals,
            "ledger_period": period,
            "ledger_entries": entries,
            "unknown_period": unknown_period,
        }

    @staticmethod
    def _contract_hours_label(hours):
        """An SLA target in the customer's words: "30 min", "4 h", "1 h 30 min"."""
        env = request.env
        minutes = round((hours or 0.0) * 60)
        whole, rest = divmod(minutes, 60)
        if whole and rest:
            return env._("%(hours)s h %(minutes)s min", hours=whole, minutes=rest)
        if whole:
            return env._("%(hours)s h", hours=whole)
        return env._("%(minutes)s min", minutes=rest)
