"""The work order: its fields, the customer's contact, scanning, the visit and the SLA
clock's hooks. On the same model: the portal intake and page values in
maintenance_request_portal.py, the parts and the invoice in maintenance_request_invoice.py,
the demo's history in maintenance_request_demo.py."""

import uuid

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from .service_contract_sla import SEVERITIES

# Core kanban stars (priority) for each severity, and back.
SEVERITY_PRIORITY = {"p1": "3", "p2": "2", "p3": "1", "p4": "0"}
PRIORITY_SEVERITY = {v: k for k, v in SEVERITY_PRIORITY.items()}


class MaintenanceRequest(models.Model):
    _name = "maintenance.request"
    _inherit = ["maintenance.request", "service.sla.mixin", "portal.mixin", "rating.mixin"]
    _rec_names_search = ["name", "reference"]

    # Given at creation, so that opening the work order's portal page never writes (its GET
    # may be served by a read replica); portal.mixin would create it on first use.
    access_token = fields.Char(default=lambda self: str(uuid.uuid4()))
    reference = fields.Char(
        readonly=True,
        copy=False,
        index="trigram",
        help="The work order's number, given when it is created.",
    )
    customer_id = fields.Many2one(
        "res.partner",
        compute="_compute_customer_id",
        store=True,
        readonly=False,
        precompute=True,
        index="btree_not_null",
        tracking=True,
    )
    # The customer's company, stored for the portal's record rule: one indexed equality
    # instead of child_of over contacts (res.partner has no parent_path).
    commercial_partner_id = fields.Many2one(
        related="customer_id.commercial_partner_id", store=True, index="btree_not_null"
    )
    contract_id = fields.Many2one(
        "service.contract",
        compute="_compute_contract_id",
        store=True,
        readonly=False,
        precompute=True,
        index="btree_not_null",
        tracking=True,
        check_company=True,
        domain="[('state', '=', 'active'), ('device_ids', 'in', equipment_id), "
        "('commercial_partner_id', '=', commercial_partner_id)]",
    )
    severity = fields.Selection(SEVERITIES, default="p3", required=True, tracking=True)
    # Who called about the fault, a contact of the customer: the desk's "Requested by"
    # (owner_user_id) stays the internal user who took the call.
    caller_id = fields.Many2one(
        "res.partner",
        string="Caller",
        tracking=True,
        domain="['|', ('id', '=', customer_id), ('parent_id', '=', customer_id)]",
        help="The customer's contact who reported the fault: follows the work order and "
        "receives the replies.",
    )
    # The number to call back, proposed from the contact and kept as given on the phone
    # (the desk may not edit contacts).
    caller_phone = fields.Char(
        string="Caller's Phone", compute="_compute_caller_phone", store=True, readonly=False
    )
    channel = fields.Selection(
        [
            ("backend", "Service Desk"),
            ("portal", "Portal"),
            ("email", "E-mail"),
            ("phone", "Phone"),
            ("device_alert", "Device Alert"),
        ],
        string="Intake Channel",
        default="backend",
        required=True,
    )
    is_on_site = fields.Boolean(string="On Site", tracking=True)
    # What closed means for a work order, for every page, counter and job: done (core's
    # closing stages), resolved, or cancelled (archived). Its SLA clock ends then.
    is_closed = fields.Boolean(compute="_compute_is_closed", store=True, index=True)
    # The key of the portal fault form that created the work order: the same form sent
    # twice (a double click, a reload) finds this work order instead of making a second.
    portal_submission_key = fields.Char(copy=False, readonly=True, groups="base.group_user")
    # Core's fields the portal never shows: who works on the work order (its page names the
    # technician, read as superuser) stays internal, also over RPC.
    # Employees' bridge (hr_maintenance, installed with hr_skills) computes the requester
    # from the employee, and empties it for a portal contact or a desk user without one: on a
    # customer's work order "Requested by" is who took the call or reported the fault, set
    # when it is created, as core Maintenance does.
    owner_user_id = fields.Many2one(compute=False, default=lambda self: self.env.uid)
    user_id = fields.Many2one(groups="base.group_user")
    maintenance_team_id = fields.Many2one(groups="base.group_user")

    _sql_constraints = [
        (
            "portal_submission_key_uniq",
            "unique(portal_submission_key)",
            "This fault report was already sent.",
        ),
    ]

    def _compute_access_url(self):
        for request in self:
            request.access_url = f"/my/work-orders/{request.id}"

    @api.depends("equipment_id")
    def _compute_customer_id(self):
        for request in self:
            if request.equipment_id.customer_id:
                request.customer_id = request.equipment_id.customer_id

    @api.depends("caller_id")
    def _compute_caller_phone(self):
        for request in self:
            request.caller_phone = request.caller_id.phone or request.caller_id.mobile

    @api.constrains("caller_id", "customer_id")
    def _check_caller_of_customer(self):
        for request in self.filtered("caller_id"):
            customer = request.customer_id.commercial_partner_id
            if request.caller_id.commercial_partner_id != customer:
                raise ValidationError(
                    _(
                        "%(caller)s is not a contact of %(customer)s, the customer of work "
                        "order %(order)s: choose one of the customer's contacts as the caller.",
                        caller=request.caller_id.display_name,
                        customer=customer.display_name or _("no customer"),
                        order=request.display_name,
                    )
                )

    @api.depends("stage_id.done", "stage_id.is_resolved", "archive")
    def _compute_is_closed(self):
        for request in self:
            stage = request.stage_id
            request.is_closed = request.archive or stage.done or stage.is_resolved

    @api.depends("equipment_id", "customer_id", "request_date")
    def _compute_contract_id(self):
        for request in self:
            day = request.request_date or fields.Date.context_today(request)
            # As superuser: the contract covering the device is a fact of the device, found
            # for any user who may open a work order on it, contract reader or not. Only the
            # work order's own customer's contracts: a device handed over must not book the
            # new owner's faults (SLA, penalties) under the former owner's contract.
            device = request.equipment_id.sudo()
            request.contract_id = (
                device._active_contract_on(day, request.customer_id) if device else False
            )

    @api.constrains("contract_id")
    def _check_contract_of_customer(self):
        """A work order is booked under a contract of its own customer only (its SLA and
        penalties are charged to that customer), also when the contract is written by hand,
        by an import or over RPC. A change of customer recomputes the contract, which
        brings the check here (checking on the customer too would read the contract before
        its recompute)."""
        for request in self.filtered("contract_id"):
            # sudo: the contract's customer is checked for whoever writes the work order.
            contract = request.sudo().contract_id
            if contract.commercial_partner_id != request.commercial_partner_id:
                raise ValidationError(
                    _(
                        "Work order %(order)s is for %(customer)s: it cannot be booked under "
                        "contract %(contract)s of %(other)s.",
                        order=request.display_name,
                        customer=request.customer_id.display_name or _("no customer"),
                        contract=contract.name,
                        other=contract.partner_id.display_name,
                    )
                )

    @api.onchange("severity")
    def _onchange_severity(self):
        self.priority = SEVERITY_PRIORITY[self.severity]

    def _init_column(self, column_name):
        """A column's default is computed once and copied to every existing row: the work
        orders made before the install would share one access token, and any one token
        would open them all in the portal. Each gets a token of its own, as the default
        gives a new work order."""
        if column_name != "access_token":
            return super()._init_column(column_name)
        self._refill_access_tokens()

    @api.model
    def _refill_access_tokens(self):
        """A token of its own for every work order without one or sharing one with another
        work order: on install (_init_column) and on the upgrade of databases where an
        earlier version gave the existing work orders one shared token. One statement."""
        table = SQL.identifier(self._table)
        self.env.cr.execute(
            SQL(
                """SELECT id FROM %(table)s
                    WHERE access_token IS NULL
                       OR access_token IN (SELECT access_token FROM %(table)s
                                            GROUP BY access_token HAVING count(*) > 1)""",
                table=table,
            )
        )
        ids = [request_id for (request_id,) in self.env.cr.fetchall()]
        if ids:
            self.env.cr.execute(
                SQL(
                    """UPDATE %(table)s SET access_token = new.token
                         FROM unnest(%(ids)s::integer[], %(tokens)s::varchar[]) AS new(id, token)
                        WHERE %(table)s.id = new.id""",
                    table=table,
                    ids=ids,
                    tokens=[str(uuid.uuid4()) for _id in ids],
                )
            )
            self.invalidate_model(["access_token"])

    @api.model_create_multi
    def create(self, vals_list):
        # sudo: whoever may create a work order gets its number, sequence reader or not.
        Sequence = self.env["ir.sequence"].sudo()
        for vals in vals_list:
            self._sync_severity_priority(vals)
            if not vals.get("reference"):
                company = self.env["res.company"].browse(vals.get("company_id")) or self.env.company
                vals["reference"] = Sequence.with_company(company).next_by_code(
                    "maintenance.request.reference"
                )
        # Core subscribes the requester and the technician work order by work order (one
        # follower insert each): collected here and subscribed per pair at once.
        deferred = []
        requests = (
            super(MaintenanceRequest, self.with_context(bds_deferred_followers=deferred))
            .create(vals_list)
            .with_context(bds_deferred_followers=None)
        )
        requests.browse(deferred)._add_followers()
        requests._subscribe_customer_contact()
        # A work order created straight into a flagged stage (waiting, in progress, done)
        # gets what a move into that stage would give it.
        flagged = requests.filtered(
            lambda r: (
                r.stage_id.pauses_sla
                or r.stage_id.starts_work
                or r.stage_id.is_resolved
                or r.stage_id.done
            )
            and r.sla_line_ids
        )
        for stage, stage_requests in flagged.grouped("stage_id").items():
            stage_requests._sla_on_stage_change(stage, self.browse())
        requests.filtered(lambda r: r.stage_id.is_resolved)._rating_request_send()
        closed = requests.filtered(lambda r: r.stage_id.done or r.stage_id.is_resolved)
        for stage, stage_requests in closed.grouped("stage_id").items():
            stage_requests._kpi_on_stage_change(stage, dict.fromkeys(stage_requests.ids, False))
        requests._kpi_link_repeats()
        requests._refresh_penalty_at_risk()
        return requests

    def _add_followers(self):
        deferred = self.env.context.get("bds_deferred_followers")
        if deferred is not None:
            deferred.extend(self.ids)
            return
        for (owner, user), requests in self.grouped(lambda r: (r.owner_user_id, r.user_id)).items():
            partners = (owner.partner_id | user.partner_id).ids
            if partners:
                requests.message_subscribe(partner_ids=partners)

    def write(self, vals):
        self._sync_severity_priority(vals)
        stage = self.env["maintenance.stage"].browse(vals.get("stage_id"))
        leaving_pause = self.filtered(lambda r: r.stage_id.pauses_sla) if stage else self.browse()
        # Closed by its stage, before the move (archiving is no resolution, nor its undoing).
        was_closed = (
            {r.id: r.stage_id.done or r.stage_id.is_resolved for r in self} if stage else {}
        )
        result = super().write(vals)
        if {"caller_id", "equipment_id", "customer_id", "owner_user_id"} & vals.keys():
            self._subscribe_customer_contact()
        if stage:
            self._sla_on_stage_change(stage, leaving_pause)
            self._kpi_on_stage_change(stage, was_closed)
            if stage.is_resolved:
                self._rating_request_send()
        if vals.get("archive"):
            self._sla_cancel()
        if {"stage_id", "severity", "contract_id", "archive", "is_on_site"} & vals.keys():
            self._refresh_penalty_at_risk()
        return result

    @api.model
    def _sync_severity_priority(self, vals):
        """Keep the kanban stars and the severity telling the same story."""
        if vals.get("severity"):
            vals["priority"] = SEVERITY_PRIORITY[vals["severity"]]
        elif vals.get("priority") in PRIORITY_SEVERITY:
            vals["severity"] = PRIORITY_SEVERITY[vals["priority"]]

    # ------------------------------------------------------------------ scanning a label
    @api.model
    def action_open_by_barcode(self, barcode):
        """A device label scanned on the work-order screens (the barcode service calls it
        over RPC): the device's open work order, its open ones when there are several, or a
        new work order for it. A code no device has gives a warning."""
        code = (barcode or "").strip()
        Device = self.env["maintenance.equipment"]
        device = Device._find_device_by_scan(code)
        if not device:
            return Device._scan_not_found_action(code)
        open_orders = self.search([("equipment_id", "=", device.id), ("is_closed", "=", False)])
        if open_orders:
            return open_orders._get_records_action(
                name=_("Open Work Orders of %(device)s", device=device.display_name)
            )
        return {
            "type": "ir.actions.act_window",
            "name": _("New Work Order"),
            "res_model": self._name,
            "views": [(False, "form")],
            "target": "current",
            "context": {
                "default_equipment_id": device.id,
                "default_channel": "backend",
            },
        }

    # ------------------------------------------------------------------ the customer's contact
    def _customer_contact(self):
        """Who speaks for the customer on this work order: the portal user who reported it,
        else the caller the desk recorded, else the device's customer."""
        self.ensure_one()
        if self.owner_user_id.share:
            return self.owner_user_id.partner_id
        return self.caller_id or self.customer_id

    def _subscribe_customer_contact(self):
        """The customer's contact follows the work order for the replies only (the
        desk's notes and stage changes stay internal), so that Send message reaches them."""
        comment = self.env.ref("mail.mt_comment")
        # Those not following yet (an existing follower keeps its subtypes), one
        # subscription per contact for all its work orders.
        to_follow = self.filtered(
            lambda r: r._customer_contact() and r._customer_contact() not in r.message_partner_ids
        )
        for contact, requests in to_follow.grouped(lambda r: r._customer_contact()).items():
            requests.message_subscribe(partner_ids=contact.ids, subtype_ids=comment.ids)

    def _message_get_suggested_recipients(self):
        recipients = super()._message_get_suggested_recipients()
        contact = self._customer_contact()
        if contact:
            # Skipped by core when the contact already follows the work order.
            self._message_add_suggested_recipient(
                recipients, partner=contact, reason=_("Customer Contact")
            )
        return recipients

    def _message_reaches_customer(self, message):
        """Whether ``message`` reached someone of the customer: one of its contacts core
        notified of it (addressed, or following the replies), who has an e-mail address."""
        customer = self.customer_id.commercial_partner_id
        if not customer:
            return False
        # sudo: the notifications of the message just posted, read for whoever posted it.
        return any(
            partner.email and partner.commercial_partner_id == customer
            for partner in message.sudo().notified_partner_ids
        )

    def message_post(self, **kwargs):
        """A public reply of an internal user that reaches the customer is the first
        response: a message to nobody (or to colleagues only) answers no one.

        A rating posted with a message (the chatter route lets anyone who may post send a
        ``rating_value``) is refused: a work order is rated once, when resolved, through its
        rating request (the e-mail's links or the rating form of its portal page)."""
        if kwargs.get("rating_value"):
            raise UserError(
                _("A work order is rated from its page once it is resolved, not with a message.")
            )
        message = super().message_post(**kwargs)
        if (
            message.message_type == "comment"
            and message.subtype_id == self.env.ref("mail.mt_comment")
            and self.env.user._is_internal()
            and not self.env.user._is_public()
            and self._message_reaches_customer(message)
        ):
            self._sla_meet("response", fields.Datetime.now())
        return message

    @api.model
    def _read_group_select(self, aggregate_spec, query):
        """The average rating counts rated work orders only: core stores 0 for "not rated",
        which would pull every pivot's and report's average down."""
        if aggregate_spec == "rating_last_value:avg":
            super()._read_group_select(aggregate_spec, query)  # the field's access check
            column = self._field_to_sql(self._table, "rating_last_value", query)
            return SQL("AVG(NULLIF(%s, 0))", column)
        return super()._read_group_select(aggregate_spec, query)

    def _rating_get_partner(self):
        """The customer's contact who reported the work order through the portal rates it;
        otherwise the customer."""
        if self.owner_user_id.share:
            return self.owner_user_id.partner_id
        return self.customer_id or super()._rating_get_partner()

    def _rating_get_parent_field_name(self):
        """Ratings roll up to the contract: its satisfaction figure."""
        return "contract_id"

    def _mail_get_partner_fields(self, introspect_fields=False):
        """The customer is the work order's contact: the notifications' portal link, and the
        author of a message posted from the portal page with the access token alone."""
        return ["customer_id"]

    def _rating_request_send(self):
        """Ask the customer to rate these resolved work orders, once per work order: one
        already asked or rated (a rating exists, pending or given) is not asked again, even
        when it is resolved a second time. The e-mail goes through the mail queue."""
        if self.env.context.get("no_rating_request"):
            return
        template = self.env.ref(
            "barcode_device_service.mail_template_work_order_rating", raise_if_not_found=False
        )
        if not template or not self:
            return
        # sudo: whether a work order was asked already is a fact about it, whoever resolves
        # it (a Maintenance user who may not read ratings too); only their ids are read.
        asked = {
            res_id
            for [res_id] in self.env["rating.rating"]
            .sudo()
            ._read_group([("res_model", "=", self._name), ("res_id", "in", self.ids)], ["res_id"])
        }
        for request in self.filtered(lambda r: r.id not in asked):
            partner = request._rating_get_partner()
            if partner:
                request.rating_send_request(template, lang=partner.lang, force_send=False)

    def _rating_pending(self):
        """The rating the customer was asked for and has not given yet: the one the portal's
        rating form applies. A work order resolved without a request (no customer contact
        then) gets it now."""
        self.ensure_one()
        partner = self._rating_get_partner()
        Rating = self.env["rating.rating"].sudo()
        if not partner:
            return Rating
        # sudo: ratings are not readable by customers; the caller checked the work order.
        # Core's helper finds the partner's pending rating, or creates it.
        token = self.sudo()._rating_get_access_token(partner)
        return Rating.search(
            [
                ("res_model", "=", self._name),
                ("res_id", "=", self.id),
                ("access_token", "=", token),
            ],
            limit=1,
        )

    def action_view_ratings(self):
        """The customer's rating of the work order."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("rating.rating_rating_action")
        action["domain"] = [
            ("res_model", "=", self._name),
            ("res_id", "=", self.id),
            ("consumed", "=", True),
        ]
        action["context"] = {"create": False}
        return action

    # ------------------------------------------------------------------ SLA clock hooks
    @api.model
    def _sla_term_fields(self):
        # On site or remote decides whether there is an arrival milestone; a fault resolved
        # remotely needs none (its arrival no longer applies and is never charged).
        return [*super()._sla_term_fields(), "is_on_site", "resolved_remotely"]

    def _sla_milestones(self, sla):
        milestones = super()._sla_milestones(sla)
        if self.is_on_site and not self.resolved_remotely and sla.arrival_hours:
            milestones.insert(1, ("arrival", sla.arrival_hours))
        return milestones

    def _sla_is_closed(self):
        return self.is_closed

    def _sla_customer(self):
        return self.customer_id or super()._sla_customer()

    def _sla_warning_users(self):
        """The assignee and the team manager (the account manager when there is neither)."""
        users = self.user_id | self.maintenance_team_id.manager_id
        return users or super()._sla_warning_users()

    def _sla_breach_partners(self):
        manager = self.maintenance_team_id.manager_id
        return manager.partner_id if manager else super()._sla_breach_partners()

    def _sla_on_stage_change(self, stage, leaving_pause):
        now = fields.Datetime.now()
        if stage.pauses_sla:
            self._sla_pause(stage.pause_reason, now)
            return
        leaving_pause._sla_resume(now)
        if stage.starts_work or stage.is_resolved:
            self._sla_meet("response", now)
        if stage.is_resolved:
            self._sla_meet("resolution", now)
        if stage.is_resolved or stage.done:
            # Closed (solved, or done without a solution: scrapped): the clock ends. An
            # arrival nobody came for no longer counts, or its breach stops growing.
            self._sla_close_unmet(now)
