"""The customer's pages under /my: devices, work orders and contracts, and the device
label's URL. Routes check access, read their input and render; what a page shows is
computed by the models (_get_portal_*). The fault report and the rating have controller
files of their own (portal_fault.py, portal_rating.py)."""

import re
from urllib.parse import urlencode

from odoo import http
from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager
from odoo.exceptions import AccessError, MissingError
from odoo.http import request
from odoo.osv import expression

from ..models.maintenance_equipment import SERVICE_URL_PATH
from ..models.service_contract_sla import SEVERITIES
from ..tools.display import timezone_label

# Label tokens are new_label_token()'s 22 URL-safe characters; anything far from that shape
# is unknown without a query.
LABEL_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{8,64}")
# Closed work orders shown on a device's page (the work-order list has them all).
DEVICE_PAST_WORK_ORDERS = 10

# A work order is open until closed (maintenance.request.is_closed), on every page alike.
OPEN_WORK_ORDERS = [("is_closed", "=", False)]
CLOSED_WORK_ORDERS = [("is_closed", "=", True)]


class DeviceServicePortal(CustomerPortal):
    """The customer's side of Device Service: devices, work orders and contracts under
    ``/my``, and the device label's QR code (``/service/device/<token>``)."""

    # ------------------------------------------------------------------ home
    def _prepare_home_portal_values(self, counters):
        """One counting query per counter, as the portal user: the record rules say what
        is theirs."""
        values = super()._prepare_home_portal_values(counters)
        counted = {
            "device_count": ("maintenance.equipment", self._portal_device_domain),
            "work_order_count": ("maintenance.request", self._portal_open_work_order_domain),
            "service_contract_count": ("service.contract", self._portal_contract_domain),
        }
        for counter, (model, domain) in counted.items():
            if counter in counters:
                Model = request.env[model]
                values[counter] = Model.search_count(domain()) if Model.has_access("read") else 0
        return values

    def _portal_partner(self):
        return request.env.user.partner_id.commercial_partner_id

    # The customer's whole company, as in the record rules (which hold it anyway): child_of
    # the commercial partner, through the records' stored commercial partner.
    def _portal_device_domain(self):
        return [("commercial_partner_id", "=", self._portal_partner().id)]

    def _portal_work_order_domain(self):
        return [("commercial_partner_id", "=", self._portal_partner().id)]

    def _portal_open_work_order_domain(self):
        return [*self._portal_work_order_domain(), *OPEN_WORK_ORDERS]

    def _portal_contract_domain(self):
        return [
            ("commercial_partner_id", "=", self._portal_partner().id),
            ("state", "!=", "draft"),
        ]

    # ------------------------------------------------------------------ devices
    def _portal_device_searchbar_sortings(self):
        env = request.env
        return {
            "name": {"label": env._("Name"), "order": "name, id"},
            "serial": {"label": env._("Serial Number"), "order": "serial_no, id"},
            "site": {"label": env._("Site"), "order": "site_id, name, id"},
            "warranty": {"label": env._("Warranty End"), "order": "warranty_end_date, name, id"},
        }

    def _portal_device_searchbar_inputs(self):
        env = request.env
        return {
            "all": {"input": "all", "label": env._("Search in All")},
            "serial": {"input": "serial", "label": env._("Search in Serial Number")},
            "barcode": {"input": "barcode", "label": env._("Search in Barcode")},
            "site": {"input": "site", "label": env._("Search in Site")},
        }

    def _portal_device_search_domain(self, search_in, search):
        fields_by_input = {
            "serial": ["serial_no"],
            "barcode": ["barcode"],
            "site": ["site_id.name"],
        }
        names = fields_by_input.get(search_in) or [
            name for names in fields_by_input.values() for name in names
        ]
        return expression.OR([[(name, "ilike", search)] for name in names])

    def _portal_open_work_order_counts(self, devices):
        """Open work orders per device, counted as the user in one grouped query."""
        Request = request.env["maintenance.request"]
        if not devices or not Request.has_access("read"):
            return {}
        groups = Request._read_group(
            [*self._portal_open_work_order_domain(), ("equipment_id", "in", devices.ids)],
            ["equipment_id"],
            ["__count"],
        )
        return {device.id: count for device, count in groups}

    @http.route(
        ["/my/devices", "/my/devices/page/<int:page>"],
        type="http",
        auth="user",
        website=True,
        readonly=True,
    )
    def portal_my_devices(self, page=1, sortby=None, search=None, search_in="all", **kw):
        values = self._prepare_portal_layout_values()
        Device = request.env["maintenance.equipment"]
        sortings = self._portal_device_searchbar_sortings()
        sortby = sortby if sortby in sortings else "name"
        inputs = self._portal_device_searchbar_inputs()
        search_in = search_in if search_in in inputs else "all"
        search = (search or "").strip()

        domain = self._portal_device_domain() if Device.has_access("read") else [(0, "=", 1)]
        if search:
            domain = expression.AND([domain, self._portal_device_search_domain(search_in, search)])
        url_args = {"sortby": sortby}
        if search:
            url_args.update(search=search, search_in=search_in)
        pager = portal_pager(
            url="/my/devices",
            url_args=url_args,
            total=Device.search_count(domain),
            page=page,
            step=self._items_per_page,
        )
        # As the user: the record rules say which devices are theirs.
        devices = Device.search(
            domain,
            order=sortings[sortby]["order"],
            limit=self._items_per_page,
            offset=pager["offset"],
        )
        request.session["my_devices_history"] = devices.ids[:100]
        values.update(
            {
                # sudo: only to display the devices just found as the user (their model,
                # site and contract, which the portal may not read on its own).
                "devices": devices.sudo(),
                "open_work_order_counts": self._portal_open_work_order_counts(devices),
                "page_name": "device_service_device",
                "device": None,
                "pager": pager,
                "default_url": "/my/devices",
                "searchbar_sortings": sortings,
                "sortby": sortby,
                "searchbar_inputs": inputs,
                "search_in": search_in,
                "search": search,
            }
        )
        return request.render("barcode_device_service.portal_my_devices", values)

    @http.route(
        "/my/devices/<int:device_id>", type="http", auth="user", website=True, readonly=True
    )
    def portal_my_device(self, device_id, report=None, **kw):
        try:
            # maintenance.equipment has no access token: the check is the user's own read
            # access (the portal rule: their company's devices); the device comes back in
            # sudo, to display what the portal may not read on its own (model, contract).
            device_sudo = self._document_check_access("maintenance.equipment", device_id)
        except (AccessError, MissingError):
            return request.redirect("/my")
        values = self._portal_device_page_values(device_sudo, report_open=bool(report))
        return request.render("barcode_device_service.portal_my_device", values)

    def _portal_device_page_values(self, device_sudo, report_open=False):
        values = self._prepare_portal_layout_values()
        Request = request.env["maintenance.request"]
        open_orders = past_orders = Request
        past_count = 0
        if Request.has_access("read"):
            # As the user: their company's work orders on this device, open ones all, the
            # latest of the closed (done or cancelled) ones.
            on_device = ("equipment_id", "=", device_sudo.id)
            open_orders = Request.search(
                [*self._portal_open_work_order_domain(), on_device], order="id desc"
            )
            past_domain = [
                *self._portal_work_order_domain(),
                on_device,
                *CLOSED_WORK_ORDERS,
            ]
            past_count = Request.search_count(past_domain)
            past_orders = Request.search(
                past_domain, order="id desc", limit=DEVICE_PAST_WORK_ORDERS
            )
        contract = device_sudo.active_contract_id
        SlaTarget = request.env["service.contract.sla"]
        values.update(
            {
                "device": device_sudo,
                "page_name": "device_service_device",
                "contract": contract,
                "sla_rows": contract._get_portal_sla_rows(),
                "severity_labels": {
                    severity: SlaTarget._portal_severity_label(severity)
                    for severity, _label in SEVERITIES
                },
                # sudo: to display work orders found as the user (their stage, technician).
                "open_work_orders": open_orders.sudo(),
                "past_work_orders": past_orders.sudo(),
                "past_work_order_count": past_count,
                # What the fault form accepts: the user's active devices still in service.
                "can_report": device_sudo.active and device_sudo.device_state != "retired",
                "report_open": report_open,
            }
        )
        return self._get_page_view_values(device_sudo, None, values, "my_devices_history", False)

    # ------------------------------------------------------------------ device label
    @http.route(
        ["/service/device", "/service/device/", "/service/device/<string:token>"],
        type="http",
        auth="public",
        methods=["GET"],
        website=True,
        readonly=True,
    )
    def portal_device_label(self, token="", **kw):
        """The URL in the QR code of a device label. A contact of the device's customer gets
        the device's page with the fault form open; a visitor not logged in logs in first
        (whatever the token: the answer tells nothing); anyone else, and any unknown or
        regenerated token, the same page that says nothing about any device."""
        user = request.env.user
        device = self._portal_device_by_label(token)
        if user._is_public():
            # Why log in, and for which device: its model only, and only for a valid
            # token (a visitor learns nothing of a customer, a serial or a site).
            model = device.sudo().product_id.display_name if device else ""
            message = (
                request.env._("Log in to report a fault on your %(model)s.", model=model)
                if model
                else request.env._("Log in to report a fault on your device.")
            )
            query = urlencode({"redirect": f"{SERVICE_URL_PATH}{token}", "message": message})
            return request.redirect(f"/web/login?{query}")
        if device and device.commercial_partner_id == user.commercial_partner_id:
            if device.with_user(user).has_access("read"):
                return request.redirect(f"/my/devices/{device.id}?report=1#report")
        elif device and user._is_internal() and device.with_user(user).has_access("read"):
            # The service desk's own people scanning a label with a phone: the device's form.
            return request.redirect(f"/odoo/maintenance.equipment/{device.id}")
        values = self._prepare_portal_layout_values()
        values["page_name"] = "device_service_label"
        return request.render(
            "barcode_device_service.portal_device_label_unknown", values, status=404
        )

    def _portal_device_by_label(self, token):
        """The device whose label carries ``token`` (empty when none), by the unique index
        on the token."""
        Device = request.env["maintenance.equipment"]
        if not token or not LABEL_TOKEN_RE.fullmatch(token):
            return Device
        # sudo: the token is hidden from portal users; the caller checks who may see the
        # device before revealing anything of it.
        return Device.sudo().search_fetch(
            [("label_token", "=", token)], ["commercial_partner_id"], limit=1
        )

    # ------------------------------------------------------------------ work orders
    def _work_order_searchbar_sortings(self):
        _ = request.env._
        return {
            # Open ones first: an open P1 is never buried under closed work orders.
            "newest": {"label": _("Newest"), "order": "is_closed, create_date desc, id desc"},
            "reference": {"label": _("Reference"), "order": "reference, id"},
            "severity": {"label": _("Severity"), "order": "severity, id desc"},
            "stage": {"label": _("Stage"), "order": "stage_id, id desc"},
            # The earliest deadline still awaited: the response's until it is met.
            "deadline": {
                "label": _("Next Deadline"),
                "order": "sla_deadline asc nulls last, id desc",
            },
        }

    def _work_order_searchbar_filters(self):
        _ = request.env._
        return {
            "all": {"label": _("All"), "domain": []},
            "open": {"label": _("Open"), "domain": OPEN_WORK_ORDERS},
            "closed": {"label": _("Closed"), "domain": CLOSED_WORK_ORDERS},
            "at_risk": {"label": _("At Risk"), "domain": [("sla_status", "=", "warning")]},
            "breached": {"label": _("Breached"), "domain": [("sla_status", "=", "breached")]},
        }

    def _work_order_searchbar_inputs(self):
        _ = request.env._
        return {
            "all": {"input": "all", "label": _("Search in All")},
            "reference": {"input": "reference", "label": _("Search in Reference")},
            "device": {"input": "device", "label": _("Search in Device")},
            "serial": {"input": "serial", "label": _("Search in Serial Number")},
            "description": {"input": "description", "label": _("Search in Description")},
        }

    def _work_order_search_domain(self, search_in, search):
        # sudo: the devices are only matched by name or serial number here, the work orders
        # are still searched as the user (the record rules): a customer finds their own past
        # work orders on a device handed since to another customer, and nothing else.
        Device = request.env["maintenance.equipment"].sudo().with_context(active_test=False)
        domains = {
            "reference": ["|", ("reference", "ilike", search), ("name", "ilike", search)],
            "device": [("equipment_id", "in", Device._search([("name", "ilike", search)]))],
            "serial": [("equipment_id", "in", Device._search([("serial_no", "ilike", search)]))],
            "description": [("description", "ilike", search)],
        }
        return domains.get(search_in) or expression.OR(domains.values())

    def _portal_time_zone(self, partners=(), calendar=None):
        """The time zone the customer reads times in: the logged-in user's, else the first
        of ``partners`` (the contact, the customer) with one, else the contract's
        service-hours calendar's."""
        user = request.env.user
        if not user._is_public() and user.tz:
            return user.tz
        tz = next((partner.tz for partner in partners if partner.tz), False)
        return tz or (calendar and calendar.tz) or "UTC"

    @http.route(
        ["/my/work-orders", "/my/work-orders/page/<int:page>"],
        type="http",
        auth="user",
        website=True,
        readonly=True,
    )
    def portal_my_work_orders(
        self, page=1, sortby=None, filterby=None, search=None, search_in="all", **kw
    ):
        """The customer's work orders as the portal user (the record rules say which): a
        counting query and a page of 80, whatever their number."""
        values = self._prepare_portal_layout_values()
        WorkOrder = request.env["maintenance.request"]
        sortings = self._work_order_searchbar_sortings()
        filters = self._work_order_searchbar_filters()
        inputs = self._work_order_searchbar_inputs()
        sortby = sortby if sortby in sortings else "newest"
        filterby = filterby if filterby in filters else "all"
        search_in = search_in if search_in in inputs else "all"
        domain = expression.AND([self._portal_work_order_domain(), filters[filterby]["domain"]])
        if search:
            domain = expression.AND([domain, self._work_order_search_domain(search_in, search)])

        pager = portal_pager(
            url="/my/work-orders",
            url_args={
                "sortby": sortby,
                "filterby": filterby,
                "search_in": search_in,
                "search": search,
            },
            total=WorkOrder.search_count(domain) if WorkOrder.has_access("read") else 0,
            page=page,
            step=self._items_per_page,
        )
        work_orders = (
            WorkOrder.search(
                domain,
                order=sortings[sortby]["order"],
                limit=self._items_per_page,
                offset=pager["offset"],
            )
            if pager["page_count"]
            else WorkOrder
        )
        request.session["my_work_orders_history"] = work_orders.ids[:100]
        values.update(
            {
                "work_orders": work_orders,
                # sudo: the devices of the work orders just listed as the user (theirs, by
                # the record rules), for their name and serial number: a work order stays the
                # customer's after its device went to another customer.
                "work_order_devices": {
                    work_order.id: work_order.equipment_id for work_order in work_orders.sudo()
                },
                "time_zones": self._work_order_time_zones(work_orders),
                "page_name": "device_service_work_order",
                "work_order": False,
                "pager": pager,
                "default_url": "/my/work-orders",
                "searchbar_sortings": sortings,
                "sortby": sortby,
                "searchbar_filters": filters,
                "filterby": filterby,
                "searchbar_inputs": inputs,
                "search_in": search_in,
                "search": search,
            }
        )
        return request.render("barcode_device_service.portal_my_work_orders", values)

    def _work_order_time_zones(self, work_orders):
        """Each listed work order's time zone: one for all when the user or the customer
        has one, else each contract's calendar's (read in one batch)."""
        tz = self._portal_time_zone([self._portal_partner()])
        if tz != "UTC" or not work_orders:
            return dict.fromkeys(work_orders.ids, tz)
        # sudo: the calendars of the contracts of work orders the user just listed (their
        # own, by the record rules); only their time zones are read.
        return {
            work_order.id: work_order.contract_id.resource_calendar_id.tz or "UTC"
            for work_order in work_orders.sudo()
        }

    @http.route(
        ["/my/work-orders/<int:request_id>"],
        type="http",
        auth="public",
        website=True,
        readonly=True,
    )
    def portal_my_work_order(self, request_id, access_token=None, message=None, **kw):
        """A work order: through the record rules for the customer's contacts, through its
        access token for anyone else it was sent to (an e-mail's link)."""
        try:
            work_order_sudo = self._document_check_access(
                "maintenance.request", request_id, access_token
            )
        except (AccessError, MissingError):
            if request.env.user._is_public():
                # A link followed before logging in: log in, then land on the work order.
                query = urlencode({"redirect": request.httprequest.full_path.rstrip("?")})
                return request.redirect(f"/web/login?{query}")
            return request.redirect("/my")
        values = self._work_order_page_values(work_order_sudo, access_token, message=message)
        return request.render("barcode_device_service.portal_my_work_order", values)

    def _work_order_page_values(self, work_order_sudo, access_token, **kwargs):
        """What the work order page shows, read in batches: its milestones, the timeline of
        its stages and clock events, its rating. ``work_order_sudo`` was checked by
        ``_document_check_access``: the reads below are of that one work order only."""
        # The chatter posts with the token, for the customer's contacts too (they read the
        # work order but may not write it).
        token = work_order_sudo._portal_ensure_token()
        lines = work_order_sudo._get_portal_sla_lines()
        calendar = lines[:1].calendar_id or work_order_sudo.contract_id.resource_calendar_id
        tz = self._portal_time_zone(
            [work_order_sudo._rating_get_partner(), work_order_sudo.commercial_partner_id],
            calendar,
        )
        device = work_order_sudo.equipment_id
        # The ratings are not readable by customers: read as superuser for this work order.
        ratings = work_order_sudo.rating_ids
        rating = ratings.filtered("consumed").sorted("write_date", reverse=True)[:1]
        values = {
            "work_order": work_order_sudo,
            "page_name": "device_service_work_order",
            "tz": tz,
            # As the customer says it ("China Time", "中国时间"), not its raw name.
            "tz_label": timezone_label(tz, request.env.lang),
            "milestones": lines._get_portal_milestones(),
            "timeline": work_order_sudo._get_portal_timeline(),
            "reported_at": work_order_sudo._get_portal_reported_at(),
            "technician_name": work_order_sudo.user_id.name,
            "service_report_url": work_order_sudo._get_portal_service_report_url(),
            "device": device,
            # The device page is for those who may read the device, not the token holders.
            "device_url": (
                f"/my/devices/{device.id}"
                if device
                and request.env["maintenance.equipment"].browse(device.id).has_access("read")
                else False
            ),
            "rating": rating,
            "can_rate": bool(work_order_sudo.stage_id.is_resolved and not rating),
            "rating_error": kwargs.get("rating_error"),
            "rating_values": kwargs.get("rating_values") or {},
            "message": kwargs.get("message"),
        }
        values = self._get_page_view_values(
            work_order_sudo, access_token, values, "my_work_orders_history", False
        )
        values["token"] = token
        return values

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
            total=Contract.search_count(domain) if Contract.has_access("read") else 0,
            page=page,
            step=self._items_per_page,
        )
        contracts = (
            Contract.search(
                domain,
                order=sortings[sortby]["order"],
                limit=self._items_per_page,
                offset=pager["offset"],
            )
            if pager["page_count"]
            else Contract
        )
        device_counts = (
            dict(
                request.env["maintenance.equipment"]._read_group(
                    [("contract_ids", "in", contracts.ids)], ["contract_ids"], ["__count"]
                )
            )
            if contracts
            else {}
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
            # The same words as on the device page and in the acknowledgement.
            "hours_label": request.env["service.contract.sla"]._portal_duration,
            "month_reports": contract_sudo.month_report_ids.filtered("attachment_id"),
            **contract_sudo._get_portal_ledger_values(period),
        }
        values = self._get_page_view_values(
            contract_sudo, access_token, values, "my_contracts_history", False, **kw
        )
        return request.render("barcode_device_service.portal_my_contract", values)
