"""The demo's work-order history: closed work orders of the last months whose SLA clocks
the addon plays itself (met, late, breached, paused, checked in), so that the reports show
figures from the first login. Same model as maintenance_request.py."""

import base64
import io
from contextlib import contextmanager
from datetime import timedelta

from PIL import Image, ImageDraw

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..tools.sla_demo_history import history_slots, story_events
from ..tools.sla_time import add_working_hours, aware_utc, naive_utc
from .service_sla_mixin import TICKING_STATES


class MaintenanceRequest(models.Model):
    _inherit = "maintenance.request"

    # ------------------------------------------------------------------ demo
    @api.model
    def _demo_create_sla_history(self, contract_ids, days=90, per_device=4, technician=None):
        """Closed work orders of the ``days`` before now on the devices of active contracts,
        about ``per_device`` per covered device, so that the demo has an SLA history.

        Each work order follows a story of ``tools/sla_demo_history.py``: its clock starts when
        the customer reported and its events are played at past instants through the methods
        live events use (``_sla_meet``, ``_sla_pause``, ``_sla_resume``, ``_check_in``, the
        detection job's ``_check_due`` at each deadline passed), so the dates follow the day the
        demo is installed and met, late or breached is the clock's verdict. No randomness: the
        same stories in the same order.
        """
        contracts = self.env["service.contract"].browse(contract_ids)
        inactive = contracts.filtered(lambda c: c.state != "active")
        if inactive:
            raise UserError(
                _(
                    "An SLA history is played on active contracts only: %(contracts)s is not "
                    "active.",
                    contracts=", ".join(inactive.mapped("name")),
                )
            )
        stages = self._demo_history_stages()
        technician = technician or self.env.ref("base.user_admin")
        now = fields.Datetime.now().replace(microsecond=0)
        vals_list, plans = [], []
        first = 0
        for contract in contracts:
            # The contract's working time over the window, as the clock counts it.
            calendar = contract.resource_calendar_id
            working_time = calendar._sla_intervals(now - timedelta(days=days), now)
            slots = list(history_slots(per_device * len(contract.device_ids), days, first))
            first += len(slots)
            for days_ago, hour, minute, story in slots:
                start = (now - timedelta(days=days_ago)).replace(hour=hour, minute=minute, second=0)
                day = start.date()
                devices = contract.device_ids.filtered(
                    lambda d, day=day: not d.installation_date or d.installation_date <= day
                )
                events = self._demo_story_instants(contract, story, start, working_time)
                # Without a target for the severity, or not closed before now (public holidays
                # in its way), a story is left out.
                if not (devices and contract.date_start <= day <= contract.date_end and events):
                    continue
                device = devices[len(vals_list) % len(devices)]
                vals_list.append(
                    {
                        "name": story.name,
                        "equipment_id": device.id,
                        "contract_id": contract.id,
                        "company_id": contract.company_id.id,
                        "severity": story.severity,
                        "channel": story.channel,
                        "is_on_site": story.on_site,
                        "request_date": day,
                        "stage_id": stages["new"].id,
                        "maintenance_team_id": (
                            device.maintenance_team_id.id or self._get_default_team_id()
                        ),
                        "user_id": technician.id,
                    }
                )
                plans.append((start, story, events))
        # The chatter tells the story in dated notes: no tracking messages dated today, and
        # no rating requests about work orders resolved weeks ago.
        requests = self.with_context(tracking_disable=True, no_rating_request=True).create(
            vals_list
        )
        # Creation started the clocks now: they start again when the customer reported.
        requests.sla_line_ids.sudo().unlink()
        for request, (start, story, events) in zip(requests, plans, strict=True):
            request._sla_start_clocks(start)
            for when, event in events:
                request._demo_detect_breaches(when)
                body = request._demo_play(event, when, stages, technician, story)
                if body:
                    # A note logged without notifying anyone: it is history.
                    messages = request._message_log(body=body, author_id=technician.partner_id.id)
                    messages.write({"date": when})
        return requests

    @api.model
    def _demo_history_stages(self):
        """The first stage of each kind a story moves through, by its flags."""
        Stage = self.env["maintenance.stage"]
        flags = [("starts_work", "=", False), ("pauses_sla", "=", False)]
        stages = {
            "new": Stage.search(
                [*flags, ("is_resolved", "=", False), ("done", "=", False)], limit=1
            ),
            "progress": Stage.search([("starts_work", "=", True), ("done", "=", False)], limit=1),
            "waiting": Stage.search([("pauses_sla", "=", True)], limit=1),
            "done": Stage.search([("is_resolved", "=", True), ("done", "=", True)], limit=1),
        }
        missing = [kind for kind, stage in stages.items() if not stage]
        if missing:
            raise UserError(
                _(
                    "An SLA history needs work-order stages that start work, pause the SLA clock "
                    "and resolve (done); none found for: %(kinds)s.",
                    kinds=", ".join(missing),
                )
            )
        return stages

    @api.model
    def _demo_story_instants(self, contract, story, start, working_time):
        """``(instant, event)`` of a story started at ``start``: its offsets in working hours
        placed in the contract's working time. Empty when the contract has no target for the
        story's severity or when the story would not end inside ``working_time``."""
        sla = contract._sla_for(story.severity)
        if not sla:
            return []
        targets = {
            "response": sla.response_hours,
            "arrival": sla.arrival_hours if story.on_site else 0.0,
            "resolution": sla.resolution_hours,
        }
        events = []
        for offset, event in story_events(story, targets):
            when = add_working_hours(working_time, aware_utc(start), offset)
            if when is None:
                return []
            events.append((naive_utc(when), event))
        return events

    def _demo_detect_breaches(self, until):
        """What the detection job found before ``until``: each deadline passed, at that
        deadline (the job runs every few minutes); its chatter post dated then."""
        due = self.sla_line_ids.filtered(
            lambda line: line.state in TICKING_STATES and line.deadline < until
        )
        for deadline, lines in sorted(due.grouped("deadline").items()):
            with self._demo_dated(deadline):
                lines.sudo()._check_due(deadline)

    @contextmanager
    def _demo_dated(self, when):
        """Messages posted on these work orders inside the block are dated ``when``."""
        Message = self.env["mail.message"].sudo()
        last_id = Message.search([], order="id desc", limit=1).id
        yield
        Message.search(
            [("id", ">", last_id), ("model", "=", self._name), ("res_id", "in", self.ids)]
        ).write({"date": when})

    def _demo_play(self, event, when, stages, technician, story):
        """One event of a story at ``when``: the clock first, then the stage move, which finds
        its clock event recorded and adds nothing. Returns the note telling what happened."""
        self.ensure_one()
        if event == "response":
            self._sla_meet("response", when)
            self.write({"stage_id": stages["progress"].id})
            return "First answer to the customer; diagnosis started."
        if event == "arrival":
            with self._demo_dated(when):
                self.with_user(technician)._check_in(when)
            return ""
        if event == "pause":
            stage = stages["waiting"]
            self._sla_pause(stage.pause_reason, when)
            self.write({"stage_id": stage.id})
            return story.pause_note
        if event == "resume":
            self._sla_resume(when)
            self.write({"stage_id": stages["progress"].id})
            return "The customer answered; work resumed."
        self._sla_meet("resolution", when)
        self.write({"stage_id": stages["done"].id})
        # Core dates the close today.
        self.write({"close_date": when.date(), "resolved_at": when})
        return story.resolution_note

    @api.model
    def _demo_rate_history(self, ratings=(5, 4, 5, 3, 4, 5, 2, 4)):
        """The customers rated some of the demo history's resolved work orders (two in
        three), as they would from the rating e-mail: the satisfaction figures have values."""
        resolved = self.search(
            [("customer_id", "!=", False), ("resolved_at", "!=", False), ("archive", "=", False)],
            order="resolved_at, id",
        )
        for request, value in zip(
            resolved.filtered(lambda r: r.id % 3), ratings * len(resolved), strict=False
        ):
            partner = request._rating_get_partner()
            if partner:
                request.rating_apply(value, token=request._rating_get_access_token(partner))
        return True

    @api.model
    def _demo_sign_report(self):
        """Sign the latest visited work order of the demo history, as its customer's
        contact would have on the technician's phone: its report is attached."""
        visited = self.search(
            [
                ("checked_in_at", "!=", False),
                ("is_closed", "=", True),
                ("signed_at", "=", False),
                ("customer_id", "!=", False),
            ],
            order="checked_in_at desc",
            limit=1,
        )
        if not visited:
            return self.browse()
        customer = visited.customer_id.commercial_partner_id
        signer = customer.child_ids.filtered(lambda p: p.type == "contact")[:1] or customer
        done_at = visited.checked_in_at + timedelta(hours=1, minutes=30)
        with visited._demo_dated(done_at):
            visited.with_context(bds_signing=True).write(
                {
                    "work_done_at": done_at,
                    "diagnosis": "Print head worn at the left edge: cleaned, density set to 18, "
                    "test label printed and scanned.",
                }
            )
            visited.write(
                {
                    "customer_signature": base64.b64encode(_demo_signature(signer.name)),
                    "signed_by": signer.name or visited.customer_id.name,
                }
            )
            visited.with_context(bds_signing=True).write({"signed_at": done_at})
        return visited


def _demo_signature(name):
    """A small PNG of a hand-written-looking line under ``name``: the demo's signature."""
    image = Image.new("RGB", (400, 120), "white")
    draw = ImageDraw.Draw(image)
    draw.text((20, 30), name or "Customer", fill="navy")
    draw.line([(20, 80), (120, 60), (200, 90), (300, 55), (380, 75)], fill="navy", width=3)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
