"""The work order's portal intake: a fault reported by a customer's contact (the fault
form, the label's QR code) becomes a work order of the device's team, acknowledged by
e-mail. Same model as maintenance_request.py."""

from psycopg2.errors import UniqueViolation

from odoo import _, api, models
from odoo.exceptions import UserError
from odoo.tools import SQL, format_datetime, html2plaintext

from ..tools.display import timezone_label
from .service_sla_line import MILESTONES
from .service_sla_mixin import MET_STATES

PORTAL_SUBMISSION_KEY_CONSTRAINT = "maintenance_request_portal_submission_key_uniq"


class MaintenanceRequest(models.Model):
    _inherit = "maintenance.request"

    # ------------------------------------------------------------------ portal intake
    @api.model
    def _portal_team_for(self, device):
        """The team of a fault reported on ``device`` from the portal: the device's own
        team, else the one core would choose for the device's company (its first team, then
        a team of no company); empty when there is none (none is created)."""
        company = device.company_id
        team = device.maintenance_team_id
        if team and (not team.company_id or team.company_id == company):
            return team
        Team = self.env["maintenance.team"]
        return Team.search([("company_id", "=", company.id)], limit=1) or Team.search(
            [("company_id", "=", False)], limit=1
        )

    @api.model
    def _portal_report_fault(self, device, severity, description, photos, key, fault_type=False):
        """Create the work order of a fault a customer's contact reports on the portal, post
        the photos in its chatter and acknowledge it by e-mail.

        Called as the portal user in sudo by the controller, with values it has checked:
        ``device`` is one of the user's devices, ``severity`` one of ours, ``description``
        sanitized HTML, ``photos`` ``(file name, content)`` pairs of images, ``key`` the
        form's one-time key, ``fault_type`` one of our symptoms or nothing. Nothing else of
        the form reaches the work order: customer, contract and technician follow the
        device, the stage and the price are the service desk's. Returns the work order, or
        nothing when another sending of the same form (same key) created it at the same
        moment.
        """
        user = self.env.user
        team = self._portal_team_for(device)
        if not team:
            raise UserError(
                _(
                    "Your service provider cannot take reports online yet: please call "
                    "their service desk."
                )
            )
        try:
            # The database holds the key unique: a form sent twice at the same moment meets
            # the other sending's work order when the key is written. That refusal is
            # expected: the key is written alone, with the refused query not logged as an
            # error (no logger is muted: that is global state, unsafe between threads), and
            # the whole creation is taken back. The caller finds that work order in a new
            # transaction.
            with self.env.cr.savepoint():
                request = self.with_company(device.company_id).create(
                    {
                        "name": self._portal_subject(description),
                        "description": description,
                        "equipment_id": device.id,
                        "severity": severity,
                        "fault_type": fault_type,
                        "channel": "portal",
                        "maintenance_type": "corrective",
                        "owner_user_id": user.id,
                        "company_id": device.company_id.id,
                        "maintenance_team_id": team.id,
                    }
                )
                if key:
                    request.flush_recordset()
                    self.env.cr.execute(
                        SQL(
                            "UPDATE %s SET portal_submission_key = %s WHERE id = %s",
                            SQL.identifier(self._table),
                            key,
                            request.id,
                        ),
                        log_exceptions=False,
                    )
                    request.invalidate_recordset(["portal_submission_key"])
        except UniqueViolation as error:
            if error.diag.constraint_name != PORTAL_SUBMISSION_KEY_CONSTRAINT:
                raise
            return self.browse()
        # The report itself, in the customer's name, with the photos attached to the work
        # order: the service desk sees them in the chatter, the customer in the portal.
        request.message_post(
            body=_("Fault reported on the customer portal by %(name)s.", name=user.name),
            attachments=photos,
            author_id=user.partner_id.id,
            # A contact without an e-mail address still reports (core refuses a message
            # without any sender).
            email_from=user.email_formatted or user.name,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        request._portal_send_acknowledgement()
        return request

    @api.model
    def _portal_subject(self, description, size=80):
        """The work order's name: the first line of what the customer wrote, shortened."""
        lines = [line.strip() for line in html2plaintext(description or "").splitlines()]
        first = next((line for line in lines if line), "")
        return first if len(first) <= size else first[: size - 1].rstrip() + "…"

    def _portal_send_acknowledgement(self):
        """E-mail the reporting contact what was received and when to expect an answer,
        through the chatter (logged on the work order). An automated message: it is not the
        service desk's first response."""
        template = self.env.ref("barcode_device_service.mail_template_work_order_received")
        # The contact who reported is the user sending: core leaves the sender out of the
        # recipients unless told.
        for request in self.with_context(mail_notify_author=True):
            company = request.company_id
            request.message_post_with_source(
                template,
                message_type="auto_comment",
                subtype_xmlid="mail.mt_comment",
                author_id=company.partner_id.id,
                # The company's address (or its catchall), else the server's default
                # sender, else OdooBot's: core refuses a message without a sender, and the
                # report must not fail for want of one.
                email_from=company.email_formatted
                or self.env["ir.mail_server"]._get_default_from_address()
                or self.env.ref("base.partner_root").email_formatted,
            )

    def _portal_acknowledgement_values(self):
        """What the acknowledgement tells the contact, in their language and time zone:
        reference, device, severity in their words, and the response deadline; when the
        fault came outside the contract's service hours, also when the clock starts."""
        self.ensure_one()
        # sudo: the work order's clock (SLA lines, the contract's calendar) is bookkeeping
        # read as superuser wherever it shows; the e-mail goes to the contact who reported.
        request = self.sudo()
        partner = request.owner_user_id.partner_id
        response = request.sla_line_ids.filtered(
            lambda line: line.milestone == "response" and line.state != "cancelled"
        )[:1]
        calendar = response.calendar_id or request.contract_id.resource_calendar_id
        tz = partner.tz or calendar.tz or "UTC"
        reported_at = response.start_at or request.create_date

        def when(value):
            return _(
                "%(datetime)s (%(tz)s)",
                datetime=format_datetime(self.env, value, tz=tz, dt_format="EEEE d MMMM y, HH:mm"),
                tz=timezone_label(tz, self.env.lang),
            )

        values = {
            "reference": request.reference or f"#{request.id}",
            "subject": request.name,
            "device": request.equipment_id.name,
            "serial": request.equipment_id.serial_no or "",
            "severity": self.env["service.contract.sla"]._portal_severity_label(request.severity),
            "reported_at": when(reported_at),
            "service_hours": calendar.name or "",
            "response_target": "",
            "response_deadline": "",
            "clock_start": "",
        }
        if response:
            start = calendar._sla_clock_start(response.start_at)
            values.update(
                response_target=self.env["service.contract.sla"]._portal_duration(
                    response.target_hours
                ),
                response_deadline=when(response.deadline),
                clock_start=when(start) if start and start > response.start_at else "",
            )
        return values

    # ------------------------------------------------------------------ portal pages
    # What the work order's portal page shows (the controller checks access and renders).
    def _get_portal_sla_lines(self):
        """The clock of each milestone in their order (response, arrival, resolution): the
        newest line of each, as a change of terms may have cancelled one and started
        another."""
        self.ensure_one()
        lines = self.sla_line_ids
        newest = {}
        for line in lines.sorted("id"):
            newest[line.milestone] = line
        order = [milestone for milestone, _label in MILESTONES]
        return lines.browse([newest[milestone].id for milestone in order if milestone in newest])

    def _get_portal_reported_at(self):
        """When its clock started (a work order recorded after the fact starts it when the
        customer called), else when it was created."""
        self.ensure_one()
        starts = self.sla_line_ids.mapped("start_at")
        return min(starts) if starts else self.create_date

    def _get_portal_timeline(self):
        """What happened to the work order, oldest first: reported, each stage it entered
        (the chatter's tracking of the stage), each milestone met or breached and each time
        its clock stopped and restarted. A fixed number of queries whatever its history."""
        self.ensure_one()
        _ = self.env._
        events = [(self._get_portal_reported_at(), "reported", _("Reported"), "")]
        stage_field = self.env["ir.model.fields"]._get(self._name, "stage_id")
        # sudo: portal users read no tracking values nor stages by themselves; these are the
        # stage changes of the one work order the caller was just allowed to see.
        trackings = (
            self.env["mail.tracking.value"]
            .sudo()
            .search_fetch(
                [
                    ("mail_message_id.model", "=", self._name),
                    ("mail_message_id.res_id", "=", self.id),
                    ("field_id", "=", stage_field.id),
                ],
                ["mail_message_id", "new_value_integer", "new_value_char"],
            )
        )
        stages = {
            stage.id: stage.name
            for stage in self.env["maintenance.stage"]
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
        for line in self.sla_line_ids:
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
        for pause in self.sla_pause_ids:
            events.append((pause.start_at, "paused", _("Clock stopped"), pause.reason or ""))
            if pause.end_at:
                events.append((pause.end_at, "resumed", _("Clock restarted"), ""))
        events.sort(key=lambda event: event[0])
        return [
            {"date": date, "kind": kind, "text": text, "note": note}
            for date, kind, text, note in events
        ]
