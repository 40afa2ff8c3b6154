"""The fault report's routes: the form on its own page, and its sending (validation,
photos, the one-time key, an expired page). The device page shows the same form
(_portal_fault_form_values)."""

import os
import secrets
from urllib.parse import urlencode

from odoo import http
from odoo.exceptions import UserError, ValidationError
from odoo.http import request
from odoo.tools.mimetypes import guess_mimetype

from ..models.maintenance_request_kpi import FAULT_TYPES
from ..models.service_contract_sla import SEVERITIES
from .fault_form import (
    DESCRIPTION_MAX_CHARS,
    PHOTO_MAX_COUNT,
    PHOTO_MAX_MB,
    PHOTO_MIMETYPES,
    SUBMISSION_KEY_RE,
    fault_description_html,
)
from .portal import DeviceServicePortal


class DeviceServiceFaultPortal(DeviceServicePortal):
    def _portal_device_page_values(self, device_sudo, report_open=False):
        values = super()._portal_device_page_values(device_sudo, report_open=report_open)
        values.update(self._portal_fault_form_values(device=device_sudo))
        return values

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
            # The symptoms in the user's words (optional: the desk may set it later).
            "fault_types": env["maintenance.request"]
            ._fields["fault_type"]
            ._description_selection(env),
            "fault_form": form
            or {
                "device_id": device.id if device else "",
                "severity": "p3",
                "fault_type": "",
                "description": "",
            },
            "fault_errors": errors or {},
            # One key per rendering of the form: sending it twice creates one work order.
            "fault_submission_key": key or secrets.token_urlsafe(16),
            "description_max_chars": DESCRIPTION_MAX_CHARS,
            "photo_max_count": PHOTO_MAX_COUNT,
            "photo_max_mb": PHOTO_MAX_MB,
            "photo_types": ", ".join(PHOTO_MIMETYPES.values()),
            "photo_accept": ",".join(PHOTO_MIMETYPES),
        }

    def _portal_work_order_by_key(self, key):
        """The work order the user's fault form with ``key`` already created, if any."""
        Request = request.env["maintenance.request"]
        if not key or not SUBMISSION_KEY_RE.fullmatch(key) or not Request.has_access("read"):
            return Request
        # sudo: the key is internal (not readable by portal users); the search keeps to the
        # work orders of the user's company that the user reported, which they may read.
        found = Request.sudo().search(
            [
                *self._portal_work_order_domain(),
                ("portal_submission_key", "=", key),
                ("owner_user_id", "=", request.env.uid),
            ],
            limit=1,
        )
        return found.sudo(False)

    def _portal_fault_page_values(self, **form_values):
        values = self._prepare_portal_layout_values()
        values["page_name"] = "device_service_report"
        values.update(self._portal_fault_form_values(**form_values))
        return values

    @http.route(
        "/my/work-orders/new",
        type="http",
        auth="user",
        methods=["GET"],
        website=True,
        readonly=True,
    )
    def portal_work_order_new(self, device_id=None, submitted=None, **kw):
        """The fault form; ``device_id`` preselects one of the user's devices. ``submitted``
        is the key of a form already sent (see the POST): its work order is shown."""
        if submitted:
            work_order = self._portal_work_order_by_key(submitted)
            if work_order:
                return request.redirect(work_order.access_url)
        device = self._portal_reportable_device(device_id) if device_id else None
        form = {
            "device_id": device.id if device else "",
            "severity": "p3",
            "fault_type": "",
            "description": "",
        }
        values = self._portal_fault_page_values(form=form)
        return request.render("barcode_device_service.portal_work_order_new", values)

    # csrf=False: the token is checked below, so that an expired page (a form left open
    # past the session, a login in another tab) comes back with what was typed and why,
    # instead of core's bare "400 Bad Request"; nothing is read or written before it.
    @http.route(
        "/my/work-orders/new",
        type="http",
        auth="user",
        methods=["POST"],
        website=True,
        csrf=False,
    )
    def portal_work_order_create(self, **post):
        """Create the work order of a fault report. Only the form's own fields are read:
        anything else posted (customer, contract, technician, stage, price) is ignored."""
        if not request.validate_csrf(post.get("csrf_token")):
            return self._portal_fault_expired(post)
        key = post.get("submission_key") or ""
        existing = self._portal_work_order_by_key(key)
        if existing:
            return request.redirect(existing.access_url)
        form, errors, device, description, photos = self._portal_fault_validate(post)
        if not SUBMISSION_KEY_RE.fullmatch(key):
            key = None
            errors["general"] = request.env._(
                "The form was incomplete: check what you typed and send it again."
            )
        if not errors:
            try:
                # A refusal after the creation began takes the whole creation back.
                with request.env.cr.savepoint():
                    # sudo: a portal user cannot create work orders; the values were checked
                    # above (the device is theirs, the severity one of ours, the description
                    # sanitized, the photos images) and are the only ones given.
                    work_order = (
                        request.env["maintenance.request"]
                        .sudo()
                        ._portal_report_fault(
                            device.sudo(),
                            form["severity"],
                            description,
                            photos,
                            key,
                            fault_type=form["fault_type"] or False,
                        )
                    )
            except (UserError, ValidationError) as error:
                errors["general"] = error.args[0]
            else:
                if not work_order:
                    # The same form sent twice at once: the other sending created the work
                    # order, committed after this transaction began; a new request finds it.
                    return request.redirect(f"/my/work-orders/new?{urlencode({'submitted': key})}")
                return request.redirect(work_order.access_url)
        if photos or errors.get("photos"):
            errors.setdefault(
                "photos_again",
                request.env._("Photos are not kept when the form comes back: choose them again."),
            )
        values = self._portal_fault_page_values(form=form, errors=errors, key=key)
        return request.render("barcode_device_service.portal_work_order_new", values)

    def _portal_fault_expired(self, post):
        """The fault form again, after a failed CSRF check: what was typed (the device only
        if it is one of the user's), a new form key and the reason. Nothing is created."""
        device = self._portal_reportable_device(post.get("device_id"))
        severity = post.get("severity")
        fault_type = post.get("fault_type")
        form = {
            "device_id": device.id if device else "",
            "severity": severity if severity in dict(SEVERITIES) else "p3",
            "fault_type": fault_type if fault_type in dict(FAULT_TYPES) else "",
            "description": (post.get("description") or "")[:DESCRIPTION_MAX_CHARS],
        }
        errors = {
            "general": request.env._(
                "This page expired before it was sent, so the fault was not reported yet. "
                "What you typed is kept below: check it and send it again."
            )
        }
        if request.httprequest.files.getlist("photos"):
            errors["photos_again"] = request.env._(
                "Photos are not kept when the form comes back: choose them again."
            )
        values = self._portal_fault_page_values(form=form, errors=errors)
        return request.render("barcode_device_service.portal_work_order_new", values, status=400)

    def _portal_fault_validate(self, post):
        """Check the fault form; return what was typed (to show it again), the errors by
        field, and the checked device, description HTML and photos."""
        env = request.env
        form = {
            "device_id": post.get("device_id") or "",
            "severity": post.get("severity") or "",
            "fault_type": post.get("fault_type") or "",
            "description": post.get("description") or "",
        }
        errors = {}
        device = self._portal_reportable_device(form["device_id"])
        if not device:
            errors["device_id"] = env._("Choose one of your devices.")
        if form["severity"] not in dict(SEVERITIES):
            errors["severity"] = env._("Choose how urgent the fault is.")
        if form["fault_type"] and form["fault_type"] not in dict(FAULT_TYPES):
            form["fault_type"] = ""
            errors["fault_type"] = env._("Choose one of the symptoms listed, or none.")
        description = ""
        # Counted as the browser counts for the field's maxlength: a line break is one
        # character (it sends two).
        typed = form["description"].replace("\r\n", "\n")
        if len(typed) > DESCRIPTION_MAX_CHARS:
            # Refused before it is cleaned; sent back as the field would take it.
            form["description"] = typed[:DESCRIPTION_MAX_CHARS]
            errors["description"] = env._(
                "Your description is too long: at most %(max)s characters. It was cut at "
                "the limit: check its end before sending it again.",
                max=DESCRIPTION_MAX_CHARS,
            )
        else:
            description = fault_description_html(typed)
            if not description:
                errors["description"] = env._(
                    "Describe the fault: what happens, since when, any message the device " "shows."
                )
        photos, photo_errors = self._portal_fault_photos()
        if photo_errors:
            errors["photos"] = " ".join(photo_errors)
        return form, errors, device, description, photos

    def _portal_fault_photos(self):
        """The photos sent with the form as ``(file name, content)``, and what is wrong with
        them: too many, too large, or not an image (by their content, not their name)."""
        env = request.env
        files = [f for f in request.httprequest.files.getlist("photos") if f.filename]
        if len(files) > PHOTO_MAX_COUNT:
            return [], [
                env._(
                    "Attach at most %(count)s photos (you chose %(chosen)s).",
                    count=PHOTO_MAX_COUNT,
                    chosen=len(files),
                )
            ]
        photos, problems = [], []
        limit = PHOTO_MAX_MB * 1024 * 1024
        for file in files:
            name = os.path.basename(file.filename.replace("\\", "/"))[:120] or "photo"
            content = file.read(limit + 1)
            if len(content) > limit:
                problems.append(
                    env._("%(name)s is larger than %(size)s MB.", name=name, size=PHOTO_MAX_MB)
                )
            elif not content or guess_mimetype(content) not in PHOTO_MIMETYPES:
                problems.append(
                    env._(
                        "%(name)s is not a photo: attach %(types)s images.",
                        name=name,
                        types=", ".join(PHOTO_MIMETYPES.values()),
                    )
                )
            else:
                photos.append((name, content))
        return photos, problems
