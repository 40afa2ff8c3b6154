import re
import secrets
from urllib.parse import urlencode

from werkzeug.urls import url_encode

from odoo import http
from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager
from odoo.exceptions import AccessError, MissingError
from odoo.http import request
from odoo.osv import expression

from ..models.maintenance_equipment import SERVICE_URL_PATH
from ..models.service_contract_sla import SEVERITIES
from ..models.service_sla_line import MILESTONES
from ..models.service_sla_mixin import CLOSED_STATES, MET_STATES
from ..tools.display import format_duration, timezone_label
from .fault_form import DESCRIPTION_MAX_CHARS, PHOTO_MAX_COUNT, PHOTO_MAX_MB, PHOTO_MIMETYPES

# Label tokens are new_label_token()'s 22 URL-safe characters; anything far from that shape
# is unknown without a query.
LABEL_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{8,64}")
# Closed work orders shown on a device's page (the work-order list has them all).
DEVICE_PAST_WORK_ORDERS = 10

# A work order is open until closed (maintenance.request.is_closed), on every page alike.
OPEN_WORK_ORDERS = [("is_closed", "=", False)]
CLOSED_WORK_ORDERS = [("is_closed", "=", True)]


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
        sla_rows = [
            {
                "severity": SlaTarget._portal_severity_label(sla.severity),
                "response": SlaTarget._portal_duration(sla.response_hours),
                "arrival": sla.arrival_hours and SlaTarget._portal_duration(sla.arrival_hours),
                "resolution": SlaTarget._portal_duration(sla.resolution_hours),
            }
            for sla in contract.sla_ids.sorted("severity")
        ]
        values.update(
            {
                "device": device_sudo,
                "page_name": "device_service_device",
                "contract": contract,
                "sla_rows": sla_rows,
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
        values.update(self._portal_fault_form_values(device=device_sudo))
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
        lines = self._work_order_current_lines(work_order_sudo.sla_line_ids)
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
            "milestones": self._work_order_milestones(lines),
            "timeline": self._work_order_timeline(work_order_sudo),
            "reported_at": self._work_order_reported_at(work_order_sudo),
            "technician_name": work_order_sudo.user_id.name,
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

    def _work_order_current_lines(self, lines):
        """The clock of each milestone in their order (response, arrival, resolution): the
        newest line of each, as a change of terms may have cancelled one and started
        another."""
        newest = {}
        for line in lines.sorted("id"):
            newest[line.milestone] = line
        order = [milestone for milestone, _label in MILESTONES]
        return lines.browse([newest[milestone].id for milestone in order if milestone in newest])

    def _work_order_milestones(self, lines):
        """One entry per milestone: its state in the customer's words and what is left."""
        _ = request.env._
        open_lines = lines.filtered(lambda line: line.state not in CLOSED_STATES)
        # One working-time computation for the lines still counting.
        remaining = {line.id: line.remaining_hours for line in open_lines}
        milestones = []
        for line in lines:
            entry = {
                "line": line,
                "label": line._milestone_label(line.milestone),
                "state": line.state,
                "remaining": False,
            }
            if line.state in ("running", "warning"):
                entry["remaining"] = _(
                    "%(duration)s of working time left",
                    duration=format_duration(request.env, remaining[line.id]),
                )
            elif line.state == "breached":
                entry["remaining"] = _(
                    "%(duration)s of working time late",
                    duration=format_duration(request.env, -remaining[line.id]),
                )
            milestones.append(entry)
        return milestones

    def _work_order_reported_at(self, work_order_sudo):
        """When its clock started (a work order recorded after the fact starts it when the
        customer called), else when it was created."""
        starts = work_order_sudo.sla_line_ids.mapped("start_at")
        return min(starts) if starts else work_order_sudo.create_date

    def _work_order_timeline(self, work_order_sudo):
        """What happened to the work order, oldest first: reported, each stage it entered
        (the chatter's tracking of the stage), each milestone met or breached and each time
        its clock stopped and restarted. A fixed number of queries whatever its history."""
        _ = request.env._
        events = [(self._work_order_reported_at(work_order_sudo), "reported", _("Reported"), "")]
        stage_field = request.env["ir.model.fields"]._get(work_order_sudo._name, "stage_id")
        # sudo: portal users read no tracking values nor stages by themselves; these are the
        # stage changes of the one work order the caller was just allowed to see.
        trackings = (
            request.env["mail.tracking.value"]
            .sudo()
            .search_fetch(
                [
                    ("mail_message_id.model", "=", work_order_sudo._name),
                    ("mail_message_id.res_id", "=", work_order_sudo.id),
                    ("field_id", "=", stage_field.id),
                ],
                ["mail_message_id", "new_value_integer", "new_value_char"],
            )
        )
        stages = {
            stage.id: stage.name
            for stage in request.env["maintenance.stage"]
            .sudo()
            .search_fetch([("id", "in", trackings.mapped("new_value_integer"))], ["name"])
        }
        for tracking in trackings:
            events.append(
                (
                    tracking.mail_message_id.date,
                    "stage",
                    _(
                        "Stage: %(stage)s",
                        stage=stages.get(tracking.new_value_integer, tracking.new_value_char),
                    ),
                    "",
                )
            )
        for line in work_order_sudo.sla_line_ids:
            label = line._milestone_label(line.milestone)
            if line.state in MET_STATES and line.met_at:
                text = (
                    _("%(milestone)s met late", milestone=label)
                    if line.state == "met_late"
                    else _("%(milestone)s met", milestone=label)
                )
                events.append((line.met_at, line.state, text, ""))
            if line.breached_at:
                events.append(
                    (
                        line.breached_at,
                        "breached",
                        _("%(milestone)s target missed", milestone=label),
                        "",
                    )
                )
        for pause in work_order_sudo.sla_pause_ids:
            events.append((pause.start_at, "paused", _("Clock stopped"), pause.reason or ""))
            if pause.end_at:
                events.append((pause.end_at, "resumed", _("Clock restarted"), ""))
        events.sort(key=lambda event: event[0])
        return [
            {"date": date, "kind": kind, "text": text, "note": note}
            for date, kind, text, note in events
        ]

    # ------------------------------------------------------------------ report a fault
    def _portal_reportable_device_domain(self):
        return [*self._portal_device_domain(), ("device_state", "!=", "retired")]

    def _portal_reportable_devices(self):
        Device = request.env["maintenance.equipment"]
        if not Device.has_access("read"):
            return Device
        return Device.search(self._portal_reportable_device_domain(), order="name, id")

    def _portal_reportable_device(self, device_id):
        """The user's device ``device_id`` if a fault may be reported on it: found as the
        user (the record rules), active and not retired; empty otherwise."""
        Device = request.env["maintenance.equipment"]
        try:
            device_id = int(device_id)
        except (TypeError, ValueError):
            return Device
        if not Device.has_access("read"):
            return Device
        return Device.search(
            [*self._portal_reportable_device_domain(), ("id", "=", device_id)], limit=1
        )

    def _portal_fault_form_values(self, device=None, form=None, errors=None, key=None):
        """Values of the fault form (template portal_work_order_form): on a device's page
        ``device`` is fixed, else the user chooses among their devices."""
        env = request.env
        SlaTarget = env["service.contract.sla"]
        return {
            "fault_device": device,
            "fault_devices": env["maintenance.equipment"]
            if device
            else self._portal_reportable_devices(),
            "fault_severities": [
                (
                    severity,
                    SlaTarget._portal_severity_label(severity),
                    SlaTarget._portal_severity_hint(severity),
                )
                for severity, _label in SEVERITIES
            ],
            "fault_form": form
            or {"device_id": device.id if device else "", "severity": "p3", "description": ""},
            "fault_errors": errors or {},
            # One key per rendering of the form: sending it twice creates one work order.
            "fault_submission_key": key or secrets.token_urlsafe(16),
            "description_max_chars": DESCRIPTION_MAX_CHARS,
            "photo_max_count": PHOTO_MAX_COUNT,
            "photo_max_mb": PHOTO_MAX_MB,
            "photo_types": ", ".join(PHOTO_MIMETYPES.values()),
            "photo_accept": ",".join(PHOTO_MIMETYPES),
        }

    # ------------------------------------------------------------------ rating
    _rating_feedback_max = 2000

    @http.route(
        ["/my/work-orders/<int:request_id>/rate"],
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
    )
    def portal_work_order_rate(
        self, request_id, access_token=None, rating=None, feedback=None, **kw
    ):
        """The customer rates a resolved work order, once: 1 to 5 stars and a comment."""
        try:
            work_order_sudo = self._document_check_access(
                "maintenance.request", request_id, access_token
            )
        except (AccessError, MissingError):
            return request.redirect("/my")
        feedback = (feedback or "").strip()
        error = self._work_order_rating_error(work_order_sudo, rating, feedback)
        if error:
            values = self._work_order_page_values(
                work_order_sudo,
                access_token,
                rating_error=error,
                rating_values={"rating": rating, "feedback": feedback},
            )
            return request.render("barcode_device_service.portal_my_work_order", values)
        # sudo: the work order was checked above (the customer's, or its token given);
        # applying the rating writes the rating and posts it in the chatter, which the
        # customer may not do with their own rights.
        work_order_sudo.rating_apply(
            int(rating), rating=work_order_sudo._rating_pending(), feedback=feedback
        )
        query = {"message": "rated", **({"access_token": access_token} if access_token else {})}
        return request.redirect(
            f"{work_order_sudo.access_url}?{url_encode(query)}#work_order_rating"
        )

    def _work_order_rating_error(self, work_order_sudo, rating, feedback):
        """Why this rating is refused, in the customer's words; False when it is not."""
        _ = request.env._
        if not work_order_sudo.stage_id.is_resolved:
            return _("This work order is not resolved yet: you can rate it once it is.")
        if work_order_sudo.rating_ids.filtered("consumed"):
            return _("This work order is already rated: thank you.")
        if rating not in ("1", "2", "3", "4", "5"):
            return _("Choose from 1 to 5 stars.")
        if len(feedback) > self._rating_feedback_max:
            return _(
                "Your comment is too long: at most %(max)s characters.",
                max=self._rating_feedback_max,
            )
        if not work_order_sudo._rating_get_partner():
            return _("This work order has no customer contact to rate it.")
        return False

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
