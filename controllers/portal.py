from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.http import request


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
